//! The payments port on Stripe's API: customers, draft invoices and their
//! invoice items, finalize and void, customer balance credit, sellers'
//! connected accounts (Express) and their onboarding links, marketplace
//! payment intents, their cancellation and their refunds.
//!
//! Every call that creates or changes something sends the caller's
//! idempotency key as Stripe's `Idempotency-Key` and is tried once: the
//! caller (a queue worker, a job) retries on [`PaymentError::Unavailable`]
//! with the same key, and Stripe answers a retry with the first call's
//! object. Only the resources used are compiled in (the crates' resource
//! features), and a deployed function links this crate only when its
//! permissions include `payments()`, through [`with_payments`].
//!
//! The requests are async-stripe's typed builders, sent by our own client
//! (`client`, on reqwest) and read into slim types holding only what the
//! port keeps: async-stripe's client and resource types parse every answer
//! and error into Stripe's whole object graph, whose deserializers made up
//! about 7 MB of each function calling Stripe.
//!
//! Configuration: `STRIPE_SECRET_KEY` (the function's secret), and
//! `STRIPE_API_BASE` to point the client at another server (a local fake
//! of Stripe); Stripe's own API when unset.

mod accounts;
mod client;
mod customers;
mod failures;
mod invoices;
mod payment_intents;
mod refunds;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use pc_platform::AppContext;
use pc_platform::config::{Config, MissingSecret};
use pc_platform::payments::{
    ConnectedAccount, Metadata, NewAccountLink, NewConnectedAccount, NewCredit, NewCustomer,
    NewInvoice, NewInvoiceLine, NewPaymentIntent, NewRefund, PaymentError, PaymentGateway,
    PaymentIntent, Refund, StripeInvoice,
};
use stripe_client_core::{IdempotencyKey, RequestStrategy};
use stripe_types::Currency;

use crate::client::StripeHttp;

/// The variable naming another Stripe API base URL.
pub const API_BASE_VARIABLE: &str = "STRIPE_API_BASE";

/// Why the Stripe client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    MissingKey(#[from] MissingSecret),
    #[error("invalid Stripe client setting: {0}")]
    Invalid(String),
}

/// The payments port on Stripe.
#[derive(Clone, Debug)]
pub struct StripePayments {
    client: StripeHttp,
}

impl StripePayments {
    /// A client with `secret_key`, talking to `base_url` (for example
    /// `http://127.0.0.1:12111/`), or to Stripe's API when `None`.
    pub fn new(secret_key: &str, base_url: Option<&str>) -> Result<Self, SetupError> {
        Ok(Self {
            client: StripeHttp::new(secret_key, base_url)?,
        })
    }

    /// The client of a deployed function: its `STRIPE_SECRET_KEY`, and
    /// `STRIPE_API_BASE` when set.
    pub fn from_config(config: &Config) -> Result<Self, SetupError> {
        let base = std::env::var(API_BASE_VARIABLE)
            .ok()
            .filter(|v| !v.trim().is_empty());
        Ok(Self {
            client: StripeHttp::with_keyring(config.secrets.clone(), base.as_deref())?,
        })
    }

    fn client(&self) -> &StripeHttp {
        &self.client
    }
}

/// `context` with payments on Stripe, for a function whose permissions
/// include `payments()`. A client that cannot be built (a key that is not
/// a valid header, a malformed `STRIPE_API_BASE`) leaves a port failing
/// every call with the reason, logged once here at start.
pub fn with_payments(mut context: AppContext) -> AppContext {
    context.payments = match StripePayments::from_config(&context.config) {
        Ok(stripe) => Arc::new(stripe),
        Err(error) => {
            tracing::error!(%error, "Stripe is not configured");
            Arc::new(Misconfigured(error.to_string()))
        }
    };
    context
}

/// The currency of every amount (the port's `CURRENCY`).
const USD: Currency = Currency::USD;

/// Metadata as Stripe's requests take it.
fn stripe_metadata(metadata: &Metadata) -> HashMap<String, String> {
    metadata.clone().into_iter().collect()
}

/// An object Stripe created, of which the port keeps the id.
#[derive(miniserde::Deserialize)]
struct Created {
    id: String,
}

/// Sends `key` as the `Idempotency-Key` of a single attempt.
fn idempotent(key: &str) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::Refused(format!("idempotency key {key:?}: {e}")))
}

#[async_trait]
impl PaymentGateway for StripePayments {
    async fn create_customer(
        &self,
        customer: &NewCustomer,
        idempotency_key: &str,
    ) -> Result<String, PaymentError> {
        customers::create(self.client(), customer, idempotency_key).await
    }

    async fn create_invoice(
        &self,
        invoice: &NewInvoice,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        invoices::create(self.client(), invoice, idempotency_key).await
    }

    async fn add_invoice_line(
        &self,
        line: &NewInvoiceLine,
        idempotency_key: &str,
    ) -> Result<String, PaymentError> {
        invoices::add_line(self.client(), line, idempotency_key).await
    }

    async fn finalize_invoice(
        &self,
        invoice_id: &str,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        invoices::finalize(self.client(), invoice_id, idempotency_key).await
    }

    async fn void_invoice(
        &self,
        invoice_id: &str,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        invoices::void(self.client(), invoice_id, idempotency_key).await
    }

    async fn get_invoice(&self, invoice_id: &str) -> Result<StripeInvoice, PaymentError> {
        invoices::get(self.client(), invoice_id).await
    }

    async fn credit_balance(
        &self,
        credit: &NewCredit,
        idempotency_key: &str,
    ) -> Result<String, PaymentError> {
        customers::credit_balance(self.client(), credit, idempotency_key).await
    }

    async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        payment_intents::create(self.client(), intent, idempotency_key).await
    }

    async fn cancel_payment_intent(
        &self,
        intent_id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        payment_intents::cancel(self.client(), intent_id, idempotency_key).await
    }

    async fn refund_payment(
        &self,
        refund: &NewRefund,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        refunds::create(self.client(), refund, idempotency_key).await
    }

    async fn create_connected_account(
        &self,
        account: &NewConnectedAccount,
        idempotency_key: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        accounts::create(self.client(), account, idempotency_key).await
    }

    async fn create_account_link(&self, link: &NewAccountLink) -> Result<String, PaymentError> {
        accounts::link(self.client(), link).await
    }

    async fn get_connected_account(
        &self,
        account_id: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        accounts::get(self.client(), account_id).await
    }
}

/// The port of a function whose Stripe client could not be built: every
/// call fails with the reason, as retryable, so the work waits in its
/// queue (and reaches the dead letters, which alarm) until the setting is
/// fixed.
struct Misconfigured(String);

impl Misconfigured {
    fn fail<T>(&self) -> Result<T, PaymentError> {
        Err(PaymentError::Unavailable(format!(
            "Stripe is not configured: {}",
            self.0
        )))
    }
}

#[async_trait]
impl PaymentGateway for Misconfigured {
    async fn create_customer(&self, _: &NewCustomer, _: &str) -> Result<String, PaymentError> {
        self.fail()
    }
    async fn create_invoice(&self, _: &NewInvoice, _: &str) -> Result<StripeInvoice, PaymentError> {
        self.fail()
    }
    async fn add_invoice_line(&self, _: &NewInvoiceLine, _: &str) -> Result<String, PaymentError> {
        self.fail()
    }
    async fn finalize_invoice(&self, _: &str, _: &str) -> Result<StripeInvoice, PaymentError> {
        self.fail()
    }
    async fn void_invoice(&self, _: &str, _: &str) -> Result<StripeInvoice, PaymentError> {
        self.fail()
    }
    async fn get_invoice(&self, _: &str) -> Result<StripeInvoice, PaymentError> {
        self.fail()
    }
    async fn credit_balance(&self, _: &NewCredit, _: &str) -> Result<String, PaymentError> {
        self.fail()
    }
    async fn create_payment_intent(
        &self,
        _: &NewPaymentIntent,
        _: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        self.fail()
    }
    async fn cancel_payment_intent(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        self.fail()
    }
    async fn refund_payment(&self, _: &NewRefund, _: &str) -> Result<Refund, PaymentError> {
        self.fail()
    }
    async fn create_connected_account(
        &self,
        _: &NewConnectedAccount,
        _: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        self.fail()
    }
    async fn create_account_link(&self, _: &NewAccountLink) -> Result<String, PaymentError> {
        self.fail()
    }
    async fn get_connected_account(&self, _: &str) -> Result<ConnectedAccount, PaymentError> {
        self.fail()
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn amounts_go_to_stripe_in_the_ports_currency() {
        assert_eq!(USD.to_string(), pc_platform::payments::CURRENCY);
    }

    #[test]
    fn keys_stripe_would_reject_are_refused_before_sending() {
        assert!(matches!(idempotent(""), Err(PaymentError::Refused(_))));
        assert!(matches!(
            idempotent(&"k".repeat(256)),
            Err(PaymentError::Refused(_))
        ));
        assert!(idempotent("invoice:P1:2026-10").is_ok());
    }

    #[tokio::test]
    async fn a_function_without_the_key_fails_each_call_naming_it() {
        let config = Config::local_defaults().holding_only(&[]);
        let context = with_payments(AppContext::granting_nothing(config));
        let error = context.payments.get_invoice("in_1").await.unwrap_err();
        assert!(error.to_string().contains("STRIPE_SECRET_KEY"), "{error}");
        assert!(error.is_retryable());
    }
}
