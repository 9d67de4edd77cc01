//! A fake Stripe for local runs and tests: answers like Stripe's test
//! mode, keeps its objects, and honours idempotency keys.
//!
//! Interim version kept in memory; see the billing work for the stateful
//! fake kept in the store that also sends signed webhook events.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{
    NewCredit, NewCustomer, NewInvoice, NewInvoiceLine, NewPaymentIntent, PaymentError,
    PaymentGateway, PaymentIntent, StripeInvoice, StripeInvoiceStatus,
};

#[derive(Default)]
struct State {
    /// Answers by `operation:key`, so a retried call gets the first answer.
    answered: HashMap<String, String>,
    invoices: HashMap<String, StripeInvoice>,
}

#[derive(Default)]
pub struct FakeStripe {
    state: Mutex<State>,
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new())
}

impl FakeStripe {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The invoice, as Stripe holds it now.
    pub fn invoice(&self, id: &str) -> Option<StripeInvoice> {
        self.state().invoices.get(id).cloned()
    }

    fn invoice_transition(
        &self,
        id: &str,
        from: StripeInvoiceStatus,
        to: StripeInvoiceStatus,
    ) -> Result<StripeInvoice, PaymentError> {
        let mut state = self.state();
        let invoice = state
            .invoices
            .get_mut(id)
            .ok_or_else(|| PaymentError::Refused(format!("No such invoice: '{id}'")))?;
        if invoice.status == to {
            return Ok(invoice.clone());
        }
        if invoice.status != from {
            return Err(PaymentError::Refused(format!(
                "invoice {id} is {}, not {}",
                invoice.status.as_str(),
                from.as_str()
            )));
        }
        invoice.status = to;
        Ok(invoice.clone())
    }
}

#[async_trait]
impl PaymentGateway for FakeStripe {
    async fn create_customer(&self, _c: &NewCustomer, key: &str) -> Result<String, PaymentError> {
        let mut state = self.state();
        Ok(state
            .answered
            .entry(format!("customer:{key}"))
            .or_insert_with(|| new_id("cus"))
            .clone())
    }

    async fn create_invoice(
        &self,
        invoice: &NewInvoice,
        key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        let mut state = self.state();
        let id = state
            .answered
            .entry(format!("invoice:{key}"))
            .or_insert_with(|| new_id("in"))
            .clone();
        let created = state
            .invoices
            .entry(id.clone())
            .or_insert_with(|| StripeInvoice {
                id,
                customer_id: invoice.customer_id.clone(),
                status: StripeInvoiceStatus::Draft,
                total_cents: 0,
                amount_due_cents: 0,
                hosted_invoice_url: None,
                metadata: invoice.metadata.clone(),
            });
        Ok(created.clone())
    }

    async fn add_invoice_line(
        &self,
        line: &NewInvoiceLine,
        key: &str,
    ) -> Result<String, PaymentError> {
        let mut state = self.state();
        if let Some(id) = state.answered.get(&format!("line:{key}")) {
            return Ok(id.clone());
        }
        let invoice = state
            .invoices
            .get_mut(&line.invoice_id)
            .filter(|i| i.status == StripeInvoiceStatus::Draft)
            .ok_or_else(|| PaymentError::Refused("no such draft invoice".into()))?;
        invoice.total_cents += line.amount_cents;
        invoice.amount_due_cents += line.amount_cents;
        let id = new_id("ii");
        state.answered.insert(format!("line:{key}"), id.clone());
        Ok(id)
    }

    async fn finalize_invoice(&self, id: &str, _key: &str) -> Result<StripeInvoice, PaymentError> {
        self.invoice_transition(id, StripeInvoiceStatus::Draft, StripeInvoiceStatus::Open)
    }

    async fn void_invoice(&self, id: &str, _key: &str) -> Result<StripeInvoice, PaymentError> {
        self.invoice_transition(id, StripeInvoiceStatus::Open, StripeInvoiceStatus::Void)
    }

    async fn get_invoice(&self, id: &str) -> Result<StripeInvoice, PaymentError> {
        self.invoice(id)
            .ok_or_else(|| PaymentError::Refused(format!("No such invoice: '{id}'")))
    }

    async fn credit_balance(&self, _c: &NewCredit, key: &str) -> Result<String, PaymentError> {
        let mut state = self.state();
        Ok(state
            .answered
            .entry(format!("credit:{key}"))
            .or_insert_with(|| new_id("cbtxn"))
            .clone())
    }

    async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        // Stripe's test card for a decline.
        if intent.payment_method_id.as_deref() == Some("pm_card_chargeDeclined") {
            return Err(PaymentError::Declined("Your card was declined.".into()));
        }
        let mut state = self.state();
        let id = state
            .answered
            .entry(format!("payment_intent:{key}"))
            .or_insert_with(|| new_id("pi"))
            .clone();
        Ok(PaymentIntent {
            client_secret: Some(format!("{id}_secret")),
            id,
            status: "requires_confirmation".into(),
            amount_cents: intent.amount_cents,
            metadata: intent.metadata.clone(),
        })
    }
}
