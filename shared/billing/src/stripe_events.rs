//! The `stripe-webhook` worker: applies each Stripe event once.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The guard item is written, on condition that it does not exist, in the
//! same transaction as the event's effect (the invoice's status and, for a
//! failed payment, the outbox with its emails): a redelivered or concurrent
//! duplicate finds it and changes nothing. Stripe retries an event for
//! three days, well inside the guard's 30.
//!
//! Invoice events move the local invoice (found by Stripe's id, or by the
//! `invoiceId` our invoices carry in Stripe's metadata) only forward:
//! `invoice.finalized` → Open, `invoice.paid` → Paid (with `paymentDate`),
//! `invoice.payment_failed` → Failed (emails to the billing alert address
//! and the partner's billing email), `invoice.voided` → Void. The update is
//! conditional on the statuses the target may be reached from, so a late
//! `invoice.finalized` after `invoice.paid` changes nothing; an event whose
//! intermediate step was missed (`invoice.paid` on a draft) still takes.
//! Payment intent events of a marketplace purchase (`purchaseId` in the
//! intent's metadata) complete or fail it, or refund a payment that came
//! when it could no longer complete
//! ([`pc_marketplace::purchase_payments`], the guard in its transaction).
//! `account.updated` moves a seller's Stripe Connect state
//! ([`crate::stripe_connect_events`]).
//! Events that change nothing, about unknown invoices, or of types not
//! handled are recorded as processed too, never retried.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use pc_accounts::billing_config::get_billing_config;
use pc_accounts::partners_store::get_partner;
use pc_http::QueueMessage;
use pc_http::functions::WorkerError;
use pc_platform::AppContext;
use pc_platform::email::{self, EmailJob, data};
use pc_platform::outbox::Outbox;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{
    Condition, Guard, Item, StoreError, Transaction, Update, Write, retry_until_won,
};
use pc_platform::time::timestamp;

use crate::invoice_events::announce_invoice;
use crate::invoices_store::{self, InvoiceRecord, InvoiceStatus, invoice_key};
pub use crate::keys::stripe_event_key;
use crate::stripe_connect_events::apply_account_updated;
use pc_marketplace::purchase_payments::{PaymentApplied, apply_payment_event, purchase_id_of};

/// How long a processed event is remembered.
pub const GUARD_DAYS: i64 = 30;

/// A Stripe event as received, on its way to the worker: its text is
/// queued unchanged (what Stripe signed is what the worker reads, fields
/// the worker ignores included), and the worker reads it as a
/// [`StripeEvent`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceivedStripeEvent(Box<RawValue>);

impl ReceivedStripeEvent {
    /// The event's text, which must be JSON (the webhook parsed it).
    pub fn new(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }
}

impl Message for ReceivedStripeEvent {
    const QUEUE: QueueName = QueueName::StripeWebhook;
}

/// A Stripe event as the worker reads it (extra fields are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct StripeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe made the event (Unix seconds).
    #[serde(default)]
    pub created: i64,
    /// The connected account of an event from the Connect endpoint (the
    /// platform endpoint takes none with it).
    #[serde(default)]
    pub account: Option<String>,
    pub data: EventData,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// What one event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Already processed: nothing changed.
    Duplicate,
    Applied(InvoiceStatus),
    /// The invoice is already past what the event says.
    Unchanged,
    /// Recorded without effect (unknown invoice, unhandled type).
    Ignored,
    /// A marketplace purchase's payment, applied to the purchase.
    Marketplace,
    /// A seller's connected account moved.
    AccountUpdated,
}

impl Outcome {
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::Duplicate => "duplicate",
            Outcome::Applied(_) => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Ignored => "ignored",
            Outcome::Marketplace => "marketplace",
            Outcome::AccountUpdated => "applied",
        }
    }
}

/// The queue worker of `stripe-webhook`.
pub async fn stripe_events_worker(
    ctx: &pc_http::AppState,
    message: &QueueMessage,
) -> Result<(), WorkerError> {
    let event: StripeEvent = message.parse()?;
    let outcome = apply_event(ctx, &event).await.map_err(WorkerError::new)?;
    tracing::info!(event = %event.id, kind = %event.kind, outcome = outcome.as_str(), "stripe event");
    Ok(())
}

/// The local status an invoice event moves to.
fn target_of(kind: &str) -> Option<InvoiceStatus> {
    match kind {
        "invoice.finalized" => Some(InvoiceStatus::Open),
        "invoice.paid" => Some(InvoiceStatus::Paid),
        "invoice.payment_failed" => Some(InvoiceStatus::Failed),
        "invoice.voided" => Some(InvoiceStatus::Void),
        _ => None,
    }
}

/// Every status from which `to` is reached by moves forward, directly or
/// through steps whose events were missed or are late.
fn reachable_from(to: InvoiceStatus) -> Vec<InvoiceStatus> {
    let mut found = InvoiceStatus::sources_of(to);
    let mut next = 0;
    while next < found.len() {
        for source in InvoiceStatus::sources_of(found[next]) {
            if !found.contains(&source) {
                found.push(source);
            }
        }
        next += 1;
    }
    found
}

/// The event's guard: it was applied before.
pub(crate) const EVENT_GUARD: Guard = Guard::new("stripe_event");

pub(crate) fn guard_write(
    ctx: &AppContext,
    event: &StripeEvent,
    outcome: &Outcome,
    note: &str,
    invoice_id: Option<&str>,
) -> Write {
    let now = ctx.clock.now();
    let key = stripe_event_key(&event.id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "stripe_event_processed".into());
    item.insert("eventId".into(), event.id.clone().into());
    item.insert("type".into(), event.kind.clone().into());
    item.insert("outcome".into(), outcome.as_str().into());
    item.insert("note".into(), note.into());
    if let Some(id) = invoice_id {
        item.insert("invoiceId".into(), id.into());
    }
    item.insert("processedAt".into(), timestamp(now).into());
    item.insert(
        "ttl".into(),
        (now + Duration::days(GUARD_DAYS)).timestamp().into(),
    );
    Write::put_new(item)
}

/// Records an event without effect; a duplicate stays one.
pub(crate) async fn record(
    ctx: &AppContext,
    event: &StripeEvent,
    outcome: Outcome,
    note: &str,
    invoice_id: Option<&str>,
) -> Result<Outcome, StoreError> {
    tracing::info!(event = %event.id, kind = %event.kind, note, "stripe event recorded without effect");
    match ctx
        .store
        .transact(vec![guard_write(ctx, event, &outcome, note, invoice_id)])
        .await
    {
        Ok(()) => Ok(outcome),
        Err(e) if e.is_condition_failure() => Ok(Outcome::Duplicate),
        Err(e) => Err(e),
    }
}

/// The local invoice a Stripe invoice object is about.
async fn local_invoice(
    ctx: &AppContext,
    object: &Value,
) -> Result<Option<InvoiceRecord>, StoreError> {
    let stripe_id = object["id"].as_str().unwrap_or_default();
    if stripe_id.is_empty() {
        return Ok(None);
    }
    if let Some(found) = invoices_store::find_by_stripe_id(&*ctx.store, stripe_id).await? {
        return Ok(Some(found));
    }
    let Some(ours) = object["metadata"]["invoiceId"].as_str() else {
        return Ok(None);
    };
    Ok(invoices_store::get_invoice(&*ctx.store, ours)
        .await?
        .filter(|i| {
            i.stripe_invoice_id
                .as_deref()
                .is_none_or(|s| s == stripe_id)
        }))
}

/// Applies one event once (see the module doc).
pub async fn apply_event(ctx: &AppContext, event: &StripeEvent) -> Result<Outcome, StoreError> {
    if ctx.store.get(&stripe_event_key(&event.id)).await?.is_some() {
        return Ok(Outcome::Duplicate);
    }
    // A connected account's state comes only from the Connect endpoint,
    // and about the account that sent it.
    if event.kind == "account.updated" {
        if event.account.is_none() || event.account.as_deref() != event.data.object["id"].as_str() {
            let note = "account.updated not sent by that connected account";
            return record(ctx, event, Outcome::Ignored, note, None).await;
        }
        return apply_account_updated(ctx, event).await;
    }
    if event.account.is_some() {
        let note = "a connected account's event of a type not handled";
        return record(ctx, event, Outcome::Ignored, note, None).await;
    }
    if event.kind.starts_with("payment_intent.") {
        return apply_purchase_payment(ctx, event).await;
    }
    let Some(target) = target_of(&event.kind) else {
        return record(ctx, event, Outcome::Ignored, "event type not handled", None).await;
    };
    retry_until_won(|_| apply_invoice_event(ctx, event, target)).await
}

/// One attempt at moving the invoice to `target`, from what it is now;
/// `None` when it changed meanwhile (read again and retry).
async fn apply_invoice_event(
    ctx: &AppContext,
    event: &StripeEvent,
    target: InvoiceStatus,
) -> Result<Option<Outcome>, StoreError> {
    let object = &event.data.object;
    let Some(invoice) = local_invoice(ctx, object).await? else {
        let note = "no invoice of ours has this Stripe id";
        return record(ctx, event, Outcome::Ignored, note, None)
            .await
            .map(Some);
    };
    if !reachable_from(target).contains(&invoice.stripe_status) {
        let note = format!(
            "the invoice is {}; {} would not move it forward",
            invoice.stripe_status.as_str(),
            target.as_str()
        );
        return record(ctx, event, Outcome::Unchanged, &note, Some(&invoice.id))
            .await
            .map(Some);
    }
    let now = ctx.clock.now();
    let mut update = Update::new(invoice_key(&invoice.id))
        .set("stripeStatus", target.as_str())
        .set("updatedAt", timestamp(now))
        .when(Condition::equals(
            "stripeStatus",
            invoice.stripe_status.as_str(),
        ));
    // What is due is known once Stripe finalized the invoice.
    if let Some(due) = object["amount_due"]
        .as_i64()
        .filter(|_| object["status"] != "draft")
    {
        update = update.set("amountDueCents", due);
    }
    if let Some(url) = object["hosted_invoice_url"].as_str() {
        update = update.set("hostedInvoiceUrl", url);
    }
    if target == InvoiceStatus::Paid {
        let paid_at = object["status_transitions"]["paid_at"]
            .as_i64()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .unwrap_or(now);
        update = update.set("paymentDate", timestamp(paid_at));
    }
    let outcome = Outcome::Applied(target);
    let mut writes = vec![Write::Update(update)];
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    if target == InvoiceStatus::Failed {
        payment_failed_emails(ctx, &mut outbox, event, &invoice, object).await?;
    }
    let announced = match target {
        InvoiceStatus::Paid => Some("paid"),
        InvoiceStatus::Failed => Some("payment_failed"),
        _ => None,
    };
    if let Some(action) = announced {
        announce_invoice(ctx, &mut outbox, &invoice, action, target, Some(&event.id))?;
    }
    outbox.add_to(&mut writes)?;
    let mut transaction = Transaction::new();
    let guard = guard_write(ctx, event, &outcome, "applied", Some(&invoice.id));
    transaction.guarded(EVENT_GUARD, guard);
    transaction.extend(writes);
    match transaction.commit(&*ctx.store).await {
        Ok(()) => Ok(Some(outcome)),
        Err(e) if e.failed(EVENT_GUARD) => Ok(Some(Outcome::Duplicate)),
        Err(e) if e.lost_race() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A marketplace purchase's payment (the intent names its purchase in
/// its metadata): the marketplace applies it in one transaction with the
/// guard.
async fn apply_purchase_payment(
    ctx: &AppContext,
    event: &StripeEvent,
) -> Result<Outcome, StoreError> {
    let object = &event.data.object;
    if purchase_id_of(object).is_none() {
        let note = "a payment intent of no marketplace purchase";
        return record(ctx, event, Outcome::Ignored, note, None).await;
    }
    let guard = guard_write(ctx, event, &Outcome::Marketplace, "applied", None);
    match apply_payment_event(ctx, &event.kind, object, guard).await? {
        PaymentApplied::Completed | PaymentApplied::Failed | PaymentApplied::Refunded => {
            Ok(Outcome::Marketplace)
        }
        PaymentApplied::Duplicate => Ok(Outcome::Duplicate),
        PaymentApplied::Unchanged(note) => {
            record(ctx, event, Outcome::Unchanged, &note, None).await
        }
    }
}

/// `$1,250.00`.
fn money(cents: i64) -> String {
    pc_platform::money::Cents(cents).grouped()
}

/// The failed-payment emails, one to the billing alert address and one to
/// the partner's billing email when it has one; their ids derive from the
/// event, so each is sent once.
async fn payment_failed_emails(
    ctx: &AppContext,
    outbox: &mut Outbox,
    event: &StripeEvent,
    invoice: &InvoiceRecord,
    object: &Value,
) -> Result<(), StoreError> {
    let partner_name = get_partner(&*ctx.store, &invoice.partner_id)
        .await?
        .map_or_else(|| invoice.partner_id.clone(), |p| p.name);
    let billing_email = get_billing_config(&*ctx.store, &invoice.partner_id)
        .await?
        .and_then(|config| config.billing_email);
    let amount = object["amount_due"]
        .as_i64()
        .or(invoice.amount_due_cents)
        .unwrap_or(invoice.amount_cents);
    let data = |link: String| data::PaymentFailed {
        partner_name: partner_name.clone(),
        invoice_id: invoice.id.clone(),
        amount: money(amount),
        period: invoice.billing_period.clone(),
        link,
    };
    // The app's finance pages list the invoices (there is no page per invoice).
    let staff_link = format!(
        "{}/finance/invoices?invoiceId={}",
        ctx.config.client_url, invoice.id
    );
    let mut recipients = vec![("alert", ctx.config.billing_alert_to.clone(), staff_link)];
    if let Some(to) = billing_email {
        // The partner pays on Stripe's page of the invoice.
        let link = object["hosted_invoice_url"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| invoice.hosted_invoice_url.clone())
            .unwrap_or_else(|| format!("{}/settings", ctx.config.client_url));
        recipients.push(("partner", to, link));
    }
    for (who, to, link) in recipients {
        let job = EmailJob::new(
            format!("payment-failed:{}:{who}", event.id),
            to,
            &data(link),
        );
        email::add_to_outbox(outbox, &job)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
