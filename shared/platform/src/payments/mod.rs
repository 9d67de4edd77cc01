//! The payments port (Stripe): customers, draft invoices with one line per
//! charge, finalize and void, customer credit, sellers' connected
//! accounts (Stripe Connect Express) and marketplace payment intents that
//! keep the platform's fee and transfer the rest to the seller. The deployed adapter is `pc-stripe` (async-stripe); the local
//! default is [`fake::FakeStripe`], a stateful Stripe kept in the store
//! that signs and sends webhook events like Stripe does.
//!
//! Every call that creates or changes something carries an idempotency
//! key derived from what it creates (`invoice:<partnerId>:<period>`,
//! `line:<invoiceId>:<leadId>`): a retry with the same key answers the
//! first call's object and never creates a second one.

pub mod fake;
pub mod signature;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Stripe's metadata: string keys and values.
pub type Metadata = BTreeMap<String, String>;

/// The currency every amount of the system is in.
pub const CURRENCY: &str = "usd";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub metadata: Metadata,
}

/// A draft invoice, sent to the customer to pay by bank or card
/// (`collection_method=send_invoice`), finalized by us rather than by
/// Stripe's automatic advance, holding only the lines added to it (pending
/// invoice items of the customer are left out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewInvoice {
    pub customer_id: String,
    pub description: String,
    pub days_until_due: u32,
    pub metadata: Metadata,
}

/// One invoice item on a draft invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewInvoiceLine {
    pub customer_id: String,
    /// Stripe's id of the draft invoice (`in_...`).
    pub invoice_id: String,
    pub amount_cents: i64,
    pub description: String,
    pub metadata: Metadata,
}

/// Stripe's invoice statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StripeInvoiceStatus {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
}

impl StripeInvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Uncollectible => "uncollectible",
            Self::Void => "void",
        }
    }
}

/// What the system keeps of a Stripe invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripeInvoice {
    pub id: String,
    pub customer_id: String,
    pub status: StripeInvoiceStatus,
    /// Sum of the lines.
    pub total_cents: i64,
    /// What the customer owes after credit balance is applied.
    pub amount_due_cents: i64,
    pub hosted_invoice_url: Option<String>,
    pub metadata: Metadata,
}

/// Credit on a customer's balance, used up by its next invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCredit {
    pub customer_id: String,
    /// Positive: how much the customer is credited.
    pub amount_cents: i64,
    pub description: String,
    pub metadata: Metadata,
}

/// A marketplace payment: charged to the buyer, the platform's fee kept,
/// the rest transferred to the seller's connected account when it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPaymentIntent {
    pub amount_cents: i64,
    pub customer_id: Option<String>,
    pub payment_method_id: Option<String>,
    pub application_fee_cents: Option<i64>,
    pub destination_account: Option<String>,
    pub description: String,
    pub metadata: Metadata,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentIntent {
    pub id: String,
    /// Stripe's status (`requires_payment_method`, `succeeded`, ...).
    pub status: String,
    pub amount_cents: i64,
    pub client_secret: Option<String>,
    pub metadata: Metadata,
}

/// A refund in full of a succeeded payment intent's charge. With a
/// transfer to a seller, `reverse_transfer` takes the seller's part back;
/// with an application fee, `refund_application_fee` gives the platform's
/// back. Stripe refuses either flag where the charge had no transfer or no
/// fee, so each is set only where there was one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRefund {
    pub payment_intent_id: String,
    pub reverse_transfer: bool,
    pub refund_application_fee: bool,
    /// Stripe's reason: `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: Option<String>,
    pub metadata: Metadata,
}

/// What the system keeps of a refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// `re_...`.
    pub id: String,
    /// Stripe's status (`pending`, `succeeded`, `failed`...).
    pub status: String,
    pub amount_cents: i64,
}

/// A seller's connected account (Stripe Connect, Express): Stripe hosts
/// the onboarding and pays the seller out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewConnectedAccount {
    pub email: Option<String>,
    pub metadata: Metadata,
}

/// What the system keeps of a connected account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedAccount {
    /// `acct_...`.
    pub id: String,
    /// The seller finished Stripe's onboarding form.
    pub details_submitted: bool,
    /// Payments may be made to the account.
    pub charges_enabled: bool,
    /// Stripe may pay the account's balance out to the seller's bank.
    pub payouts_enabled: bool,
    pub metadata: Metadata,
}

impl ConnectedAccount {
    /// An account object as Stripe's API and events show it; a flag
    /// Stripe leaves out is not enabled.
    pub fn from_object(object: &serde_json::Value) -> Self {
        let flag = |field: &str| object[field].as_bool().unwrap_or(false);
        Self {
            id: object["id"].as_str().unwrap_or_default().to_owned(),
            details_submitted: flag("details_submitted"),
            charges_enabled: flag("charges_enabled"),
            payouts_enabled: flag("payouts_enabled"),
            metadata: object["metadata"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// A single-use link to Stripe's hosted onboarding of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccountLink {
    pub account_id: String,
    /// Where Stripe sends the seller when the link expired or was used.
    pub refresh_url: String,
    /// Where Stripe sends the seller after the form (finished or not).
    pub return_url: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PaymentError {
    /// The card or bank declined; the same request will fail again.
    #[error("payment declined: {0}")]
    Declined(String),
    /// Stripe refused the request as it is (4xx: unknown object, wrong
    /// state, bad parameter); retrying it unchanged cannot succeed.
    #[error("payment provider refused the request: {0}")]
    Refused(String),
    /// Stripe could not be reached or failed (timeouts, 429, 5xx): retry
    /// with the same idempotency key.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

impl PaymentError {
    /// Whether a retry of the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PaymentError::Unavailable(_))
    }
}

/// The payments port. Calls that create or change take an idempotency key;
/// the same key always answers the first call's result.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Creates a customer; answers its id (`cus_...`).
    async fn create_customer(
        &self,
        customer: &NewCustomer,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;

    /// Creates a draft invoice (see [`NewInvoice`]).
    async fn create_invoice(
        &self,
        invoice: &NewInvoice,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError>;

    /// Adds one line (an invoice item) to a draft invoice; answers its id.
    async fn add_invoice_line(
        &self,
        line: &NewInvoiceLine,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;

    /// Finalizes a draft: it becomes `open` and is sent to the customer.
    async fn finalize_invoice(
        &self,
        invoice_id: &str,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError>;

    /// Voids an open invoice.
    async fn void_invoice(
        &self,
        invoice_id: &str,
        idempotency_key: &str,
    ) -> Result<StripeInvoice, PaymentError>;

    async fn get_invoice(&self, invoice_id: &str) -> Result<StripeInvoice, PaymentError>;

    /// Credits a customer's balance; answers the balance transaction's id.
    async fn credit_balance(
        &self,
        credit: &NewCredit,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;

    async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError>;

    /// Cancels a payment intent that has not succeeded (it can no longer
    /// be confirmed; Stripe sends `payment_intent.canceled`); a succeeded
    /// or already canceled one is refused.
    async fn cancel_payment_intent(
        &self,
        intent_id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError>;

    /// Refunds a succeeded payment intent in full (see [`NewRefund`]).
    async fn refund_payment(
        &self,
        refund: &NewRefund,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError>;

    /// Creates an Express connected account for a seller.
    async fn create_connected_account(
        &self,
        account: &NewConnectedAccount,
        idempotency_key: &str,
    ) -> Result<ConnectedAccount, PaymentError>;

    /// An onboarding link of the account; answers its URL. Links are
    /// short-lived and single-use, so each request makes a new one.
    async fn create_account_link(&self, link: &NewAccountLink) -> Result<String, PaymentError>;

    async fn get_connected_account(
        &self,
        account_id: &str,
    ) -> Result<ConnectedAccount, PaymentError>;

    /// The fake Stripe behind this port, where there is one (local only):
    /// the dev routes act as the customer through it.
    fn fake(&self) -> Option<&fake::FakeStripe> {
        None
    }
}
