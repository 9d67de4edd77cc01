//! Faults and latency the fake Stripe adds on demand, for crash tests and
//! benchmarks: the next call of a named operation fails before it applies
//! anything, or after it applied (the object exists at Stripe but the
//! caller never hears of it, as when a process dies between Stripe's answer
//! and its own store write); every call may be slowed by a fixed latency.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::PaymentError;

/// The fake's operations, as faults name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    CreateCustomer,
    CreateInvoice,
    AddInvoiceLine,
    FinalizeInvoice,
    VoidInvoice,
    GetInvoice,
    CreditBalance,
    CreatePaymentIntent,
    CancelPaymentIntent,
    RefundPayment,
    CreateConnectedAccount,
    CreateAccountLink,
    GetConnectedAccount,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateCustomer => "create_customer",
            Self::CreateInvoice => "create_invoice",
            Self::AddInvoiceLine => "add_invoice_line",
            Self::FinalizeInvoice => "finalize_invoice",
            Self::VoidInvoice => "void_invoice",
            Self::GetInvoice => "get_invoice",
            Self::CreditBalance => "credit_balance",
            Self::CreatePaymentIntent => "create_payment_intent",
            Self::CancelPaymentIntent => "cancel_payment_intent",
            Self::RefundPayment => "refund_payment",
            Self::CreateConnectedAccount => "create_connected_account",
            Self::CreateAccountLink => "create_account_link",
            Self::GetConnectedAccount => "get_connected_account",
        }
    }
}

/// When an injected fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTiming {
    /// Nothing is applied; the caller gets `Unavailable`.
    Before,
    /// The call is applied (objects made, events sent), then the caller
    /// gets `Unavailable`.
    After,
}

#[derive(Default)]
pub(super) struct Faults {
    pending: Mutex<HashMap<Operation, FaultTiming>>,
    latency: Mutex<Duration>,
}

fn unavailable(operation: Operation, timing: FaultTiming) -> PaymentError {
    PaymentError::Unavailable(format!(
        "injected fault {} {}",
        match timing {
            FaultTiming::Before => "before",
            FaultTiming::After => "after",
        },
        operation.as_str()
    ))
}

impl Faults {
    pub(super) fn inject(&self, operation: Operation, timing: FaultTiming) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(operation, timing);
        }
    }

    pub(super) fn set_latency(&self, latency: Duration) {
        if let Ok(mut current) = self.latency.lock() {
            *current = latency;
        }
    }

    pub(super) fn latency(&self) -> Duration {
        self.latency.lock().map(|l| *l).unwrap_or_default()
    }

    /// Waits the added latency; takes a pending fault of `operation`,
    /// failing now if it strikes before.
    pub(super) async fn enter(
        &self,
        operation: Operation,
    ) -> Result<Option<FaultTiming>, PaymentError> {
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let taken = self
            .pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.remove(&operation));
        match taken {
            Some(FaultTiming::Before) => Err(unavailable(operation, FaultTiming::Before)),
            other => Ok(other),
        }
    }

    /// The error of a fault that strikes after the call applied.
    pub(super) fn leave(
        operation: Operation,
        taken: Option<FaultTiming>,
    ) -> Result<(), PaymentError> {
        match taken {
            Some(FaultTiming::After) => Err(unavailable(operation, FaultTiming::After)),
            _ => Ok(()),
        }
    }
}
