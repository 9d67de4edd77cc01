//! The payments port on Stripe's API, through async-stripe: customers,
//! draft invoices and their invoice items, finalize and void, customer
//! balance credit, sellers' connected accounts (Express) and their
//! onboarding links, marketplace payment intents.
//!
//! Every call that creates or changes something sends the caller's
//! idempotency key as Stripe's `Idempotency-Key` and is tried once: the
//! caller (a queue worker, a job) retries on [`PaymentError::Unavailable`]
//! with the same key, and Stripe answers a retry with the first call's
//! object. Only the resources used are compiled in (the crates' resource
//! features), and a deployed function links this crate only when its
//! permissions include `payments()`, through [`with_payments`].
//!
//! Configuration: `STRIPE_SECRET_KEY` (the function's secret), and
//! `STRIPE_API_BASE` to point the client at another server (a local fake
//! of Stripe); Stripe's own API when unset.

mod accounts;
mod customers;
mod failures;
mod invoices;
mod payment_intents;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pc_platform::AppContext;
use pc_platform::config::{Config, MissingSecret};
use pc_platform::payments::{
    ConnectedAccount, Metadata, NewAccountLink, NewConnectedAccount, NewCredit, NewCustomer,
    NewInvoice, NewInvoiceLine, NewPaymentIntent, PaymentError, PaymentGateway, PaymentIntent,
    StripeInvoice,
};
use stripe::{IdempotencyKey, RequestStrategy};
use stripe_types::Currency;

/// The variable naming another Stripe API base URL.
pub const API_BASE_VARIABLE: &str = "STRIPE_API_BASE";

/// How long one attempt may take: shorter than the timeout of an API
/// function (the shortest), so a hung connection ends as a retryable
/// failure the handler answers, rather than a killed run.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

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
    client: stripe::Client,
}

impl StripePayments {
    /// A client with `secret_key`, talking to `base_url` (for example
    /// `http://127.0.0.1:12111/`), or to Stripe's API when `None`.
    pub fn new(secret_key: &str, base_url: Option<&str>) -> Result<Self, SetupError> {
        install_crypto_provider();
        let mut builder = stripe::ClientBuilder::new(secret_key).timeout(ATTEMPT_TIMEOUT);
        if let Some(url) = base_url {
            builder = builder.url(with_trailing_slash(url));
        }
        let client = builder
            .build()
            .map_err(|e| SetupError::Invalid(e.to_string()))?;
        Ok(Self { client })
    }

    /// The client of a deployed function: its `STRIPE_SECRET_KEY`, and
    /// `STRIPE_API_BASE` when set.
    pub fn from_config(config: &Config) -> Result<Self, SetupError> {
        let base = std::env::var(API_BASE_VARIABLE)
            .ok()
            .filter(|v| !v.trim().is_empty());
        Self::new(config.stripe_secret_key.expose()?, base.as_deref())
    }

    fn client(&self) -> &stripe::Client {
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

/// The rustls of the Stripe client takes the process's default crypto
/// provider, and panics when none is installed and crate features do not
/// name exactly one. Ring, the AWS SDK client's provider, is installed
/// explicitly; a provider already installed stays.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// async-stripe joins the base and `v1/...` without a separator.
fn with_trailing_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// The currency of every amount (the port's `CURRENCY`).
const USD: Currency = Currency::USD;

/// Metadata as Stripe's requests take it.
fn stripe_metadata(metadata: &Metadata) -> HashMap<String, String> {
    metadata.clone().into_iter().collect()
}

/// Metadata as the port holds it (sorted by key).
fn port_metadata(metadata: HashMap<String, String>) -> Metadata {
    metadata.into_iter().collect()
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
    use pc_platform::config::{Secret, SecretValue};

    use super::*;

    #[test]
    fn the_base_url_gets_the_separator_async_stripe_expects() {
        assert_eq!(with_trailing_slash("http://x:1"), "http://x:1/");
        assert_eq!(with_trailing_slash("http://x:1/"), "http://x:1/");
    }

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
        let mut config = Config::local_defaults();
        config.stripe_secret_key = SecretValue::new(Secret::StripeSecretKey, None);
        let context = with_payments(AppContext::granting_nothing(config));
        let error = context.payments.get_invoice("in_1").await.unwrap_err();
        assert!(error.to_string().contains("STRIPE_SECRET_KEY"), "{error}");
        assert!(error.is_retryable());
    }
}
