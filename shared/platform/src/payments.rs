//! The payments port (Stripe): customers, invoices and marketplace payment
//! intents. The real adapter (async-stripe) comes with billing;
//! [`RecordingPayments`] answers like Stripe's test mode and records calls.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub description: String,
    pub amount_cents: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDraft {
    pub customer_id: String,
    pub description: String,
    pub lines: Vec<InvoiceLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentIntentRequest {
    pub amount_cents: i64,
    pub payment_method_id: String,
    pub application_fee_cents: i64,
    pub destination_account: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PaymentError {
    #[error("payment declined: {0}")]
    Declined(String),
    #[error("payment provider error: {0}")]
    Backend(String),
}

/// Every call carries an idempotency key: the same key answers the same
/// result, which is what makes a re-run job safe.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn ensure_customer(
        &self,
        email: &str,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;
    /// Creates and finalizes an invoice; answers its id.
    async fn create_invoice(
        &self,
        draft: &InvoiceDraft,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;
    async fn void_invoice(&self, invoice_id: &str) -> Result<(), PaymentError>;
    async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;
}

/// A recorded call of the fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCall {
    pub operation: &'static str,
    pub idempotency_key: String,
    pub result: String,
}

/// Stripe's test mode, in process: ids are new per idempotency key and the
/// same key always answers the same id.
#[derive(Default)]
pub struct RecordingPayments {
    calls: Mutex<Vec<PaymentCall>>,
    answered: Mutex<HashMap<String, String>>,
}

impl RecordingPayments {
    pub fn calls(&self) -> Vec<PaymentCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn answer(&self, operation: &'static str, prefix: &str, key: &str) -> String {
        let mut answered = self.answered.lock().expect("payments fake lock");
        let result = answered
            .entry(format!("{operation}:{key}"))
            .or_insert_with(|| format!("{prefix}_{}", ulid::Ulid::new()))
            .clone();
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(PaymentCall {
                operation,
                idempotency_key: key.to_owned(),
                result: result.clone(),
            });
        }
        result
    }
}

#[async_trait]
impl PaymentGateway for RecordingPayments {
    async fn ensure_customer(
        &self,
        _email: &str,
        _name: &str,
        key: &str,
    ) -> Result<String, PaymentError> {
        Ok(self.answer("ensure_customer", "cus", key))
    }

    async fn create_invoice(
        &self,
        draft: &InvoiceDraft,
        key: &str,
    ) -> Result<String, PaymentError> {
        if draft.lines.is_empty() {
            return Err(PaymentError::Backend(
                "an invoice needs at least one line".into(),
            ));
        }
        Ok(self.answer("create_invoice", "in", key))
    }

    async fn void_invoice(&self, invoice_id: &str) -> Result<(), PaymentError> {
        self.answer("void_invoice", "void", invoice_id);
        Ok(())
    }

    async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest,
        key: &str,
    ) -> Result<String, PaymentError> {
        // Stripe's test card for a decline.
        if request.payment_method_id == "pm_card_chargeDeclined" {
            return Err(PaymentError::Declined("card declined".into()));
        }
        Ok(self.answer("create_payment_intent", "pi", key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_idempotency_key_answers_the_same_id() {
        let p = RecordingPayments::default();
        let a = p.ensure_customer("a@x.io", "A", "partner-1").await.unwrap();
        let b = p.ensure_customer("a@x.io", "A", "partner-1").await.unwrap();
        let c = p.ensure_customer("b@x.io", "B", "partner-2").await.unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(p.calls().len(), 3);
    }
}
