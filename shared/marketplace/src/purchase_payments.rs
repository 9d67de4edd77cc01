//! The outcome of a purchase's payment, from Stripe's events (through the
//! Stripe webhook worker, which finds the purchase by the intent's
//! `purchaseId` metadata and hands over its once-per-event guard write).
//!
//! `payment_intent.succeeded` completes the purchase in ONE transaction:
//! the guard, the purchase `COMPLETED` (from pending or failed, never
//! twice), the buyer's copy of the lead (source `marketplace`, every
//! contact field, with its email guard, search entries and counters), the
//! seller's listing `sold` (only while reserved by this reservation), the
//! reservation `completed`, `+1` on the seller's sales of the month, the
//! analytics of the sale (seller, buyer and marketplace month), and
//! the outbox with the emails to both sides. `lead-sold` goes on the bus
//! once it committed.
//!
//! The buyer's copy is made from the snapshot taken when the lead was
//! reserved ([`crate::sale_snapshot`]), not from the lead as it is now.
//!
//! A `payment_intent.succeeded` that can no longer complete — its
//! reservation ended (the purchase `CANCELLED`), or the listing is no
//! longer reserved by it — is refunded in full at Stripe (the seller's
//! transfer reversed and the platform's fee refunded where there were
//! some; idempotency key `refund:<purchaseId>`), the purchase marked
//! `REFUNDED` and the buyer emailed, in one transaction with the guard.
//! Stripe unreachable fails the message, which is retried with the same
//! key; the money is never kept.
//!
//! `payment_intent.payment_failed` moves the purchase to `FAILED` and the
//! reservation back to `active`: the buyer keeps the rest of its window
//! to pay again.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use pc_accounts::partners_store::get_partner;
use pc_accounts::users_store::list_users;
use pc_analytics::tally::{Sale, with_sale};
use pc_http::Role;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store::{self, create_lead_writes};
use pc_platform::AppContext;
use pc_platform::bus::BusEvent;
use pc_platform::email::{EmailJob, add_to_outbox, data};
use pc_platform::outbox::Outbox;
use pc_platform::payments::{NewRefund, PaymentError};
use pc_platform::store::{Guard, StoreError, Transaction, Write, retry_until_won};

use crate::listing_store::mark_sold_item;
use crate::purchases_store::{
    PurchaseRecord, PurchaseStatus, complete_item, count_sale, fail_item, get_purchase,
    refund_item, sales_month,
};
use crate::reservations_store::{back_to_active_item, close_reservation_writes, get_reservation};
use crate::sale_snapshot::get_snapshot;

/// What a payment event did to its purchase.
#[derive(Clone, Debug, PartialEq)]
pub enum PaymentApplied {
    /// The purchase completed; `lead-sold` was published.
    Completed,
    /// The payment failed; the reservation is the buyer's again.
    Failed,
    /// The payment came when the purchase could no longer complete: it
    /// was refunded in full and the buyer told.
    Refunded,
    /// The guard was there: the event was applied before.
    Duplicate,
    /// Nothing to change, and why (recorded by the caller).
    Unchanged(String),
}

/// The purchase a payment intent object is about, by its metadata.
pub fn purchase_id_of(intent: &Value) -> Option<&str> {
    intent["metadata"]["purchaseId"].as_str()
}

/// Applies `payment_intent.succeeded` or `.payment_failed` of the purchase
/// named in `intent`'s metadata, with `guard` as the transaction's first
/// write.
pub async fn apply_payment_event(
    ctx: &AppContext,
    kind: &str,
    intent: &Value,
    guard: Write,
) -> Result<PaymentApplied, StoreError> {
    let Some(purchase) =
        get_purchase(&*ctx.store, purchase_id_of(intent).unwrap_or_default()).await?
    else {
        return Ok(PaymentApplied::Unchanged("no such purchase".into()));
    };
    if intent["id"].as_str() != Some(purchase.payment_intent_id.as_str()) {
        return Ok(PaymentApplied::Unchanged(
            "not the purchase's payment intent".into(),
        ));
    }
    match kind {
        "payment_intent.succeeded" => complete(ctx, &purchase, guard).await,
        "payment_intent.payment_failed" => fail(ctx, &purchase, guard).await,
        _ => Ok(PaymentApplied::Unchanged("event type not handled".into())),
    }
}

/// The payment event was applied before.
const PAYMENT_EVENT: Guard = Guard::new("payment_event");

async fn fail(
    ctx: &AppContext,
    purchase: &PurchaseRecord,
    guard: Write,
) -> Result<PaymentApplied, StoreError> {
    if purchase.status != PurchaseStatus::Pending {
        return Ok(PaymentApplied::Unchanged(format!(
            "the purchase is {}",
            purchase.status.as_str()
        )));
    }
    let now = ctx.clock.now();
    let mut writes = Transaction::new();
    writes.guarded(PAYMENT_EVENT, guard);
    writes.push(fail_item(&purchase.id, now));
    writes.push(back_to_active_item(&purchase.reservation_id, now));
    match writes.commit(&*ctx.store).await {
        Ok(()) => Ok(PaymentApplied::Failed),
        Err(e) if e.failed(PAYMENT_EVENT) => Ok(PaymentApplied::Duplicate),
        Err(e) if e.is_condition_failure() => Ok(PaymentApplied::Unchanged(
            "the purchase or its reservation moved on meanwhile".into(),
        )),
        Err(e) => Err(e),
    }
}

/// The buyer's copy of the lead as sold: every contact field, no notes,
/// no history; a new lead of the buyer from the marketplace.
fn buyer_copy(
    id: String,
    sold: &SoldLead,
    buyer_id: &str,
    now: DateTime<Utc>,
) -> Result<LeadRecord, StoreError> {
    let email = LeadEmail::parse(&sold.email)
        .map_err(|e| StoreError::Invalid(format!("the sold lead's email {e}")))?;
    let mut copy = LeadRecord::new(id, buyer_id.to_owned(), email, LeadSource::Marketplace, now);
    copy.contact = sold.contact.clone();
    Ok(copy)
}

/// What the buyer receives: the fields as they were when reserved.
struct SoldLead {
    email: String,
    contact: pc_leads::lead::Contact,
}

/// The snapshot of the purchase's reservation; a reservation made before
/// snapshots existed falls back to the lead as it is.
async fn sold_lead(
    ctx: &AppContext,
    purchase: &PurchaseRecord,
) -> Result<Option<SoldLead>, StoreError> {
    if let Some(s) = get_snapshot(&*ctx.store, &purchase.lead_id, &purchase.reservation_id).await? {
        return Ok(Some(SoldLead {
            email: s.email,
            contact: s.contact,
        }));
    }
    Ok(leads_store::get(&*ctx.store, &purchase.lead_id)
        .await?
        .map(|lead| SoldLead {
            email: lead.email,
            contact: lead.contact,
        }))
}

/// Completes the purchase, or refunds a payment that came too late. A
/// completion that lost a race (the buyer's email taken by a lead made
/// meanwhile) reads what moved and is tried again.
async fn complete(
    ctx: &AppContext,
    purchase: &PurchaseRecord,
    guard: Write,
) -> Result<PaymentApplied, StoreError> {
    // The purchase as last read: each lost attempt reads it again.
    let latest = Mutex::new(purchase.clone());
    retry_until_won(|_| {
        let (latest, guard) = (&latest, &guard);
        async move {
            let purchase = latest.lock().expect("not poisoned").clone();
            match purchase.status {
                PurchaseStatus::Completed | PurchaseStatus::Refunded => {
                    return Ok(Some(PaymentApplied::Unchanged(format!(
                        "the purchase is {}",
                        purchase.status.as_str()
                    ))));
                }
                PurchaseStatus::Cancelled => {
                    let why = "the reservation had ended before the payment arrived";
                    return refund_late(ctx, &purchase, guard.clone(), why)
                        .await
                        .map(Some);
                }
                PurchaseStatus::Pending | PurchaseStatus::Failed => {}
            }
            let Some(sold) = sold_lead(ctx, &purchase).await? else {
                let why = "the lead can no longer be delivered";
                return refund_late(ctx, &purchase, guard.clone(), why)
                    .await
                    .map(Some);
            };
            if let Some(applied) = try_complete(ctx, &purchase, &sold, guard.clone()).await? {
                return Ok(Some(applied));
            }
            // A condition failed: see what moved.
            let Some(now) = get_purchase(&*ctx.store, &purchase.id).await? else {
                return Ok(Some(PaymentApplied::Unchanged(
                    "the purchase is gone".into(),
                )));
            };
            let reservation_open = get_reservation(&*ctx.store, &purchase.reservation_id)
                .await?
                .is_some_and(|r| r.status.is_open());
            if now.status.is_open() && !reservation_open {
                let why = "the lead can no longer be delivered";
                return refund_late(ctx, &now, guard.clone(), why).await.map(Some);
            }
            *latest.lock().expect("not poisoned") = now;
            Ok(None)
        }
    })
    .await
}

/// One attempt at completing; `None` when a condition failed.
async fn try_complete(
    ctx: &AppContext,
    purchase: &PurchaseRecord,
    sold: &SoldLead,
    guard: Write,
) -> Result<Option<PaymentApplied>, StoreError> {
    let now = ctx.clock.now();
    // A buyer that already has a lead with this email keeps that one: the
    // email is unique among a partner's leads.
    let existing = leads_store::find_by_email(&*ctx.store, &purchase.buyer_id, &sold.email).await?;
    let copy = match &existing {
        Some(_) => None,
        None => Some(buyer_copy(ctx.ids.new_id(), sold, &purchase.buyer_id, now)?),
    };
    let bought_id = existing
        .as_ref()
        .or(copy.as_ref())
        .map(|l| l.id.clone())
        .unwrap_or_default();
    let mut writes = vec![
        complete_item(&purchase.id, &bought_id, copy.is_some(), now),
        mark_sold_item(
            &purchase.lead_id,
            &purchase.reservation_id,
            &purchase.buyer_id,
            now,
        ),
        count_sale(&purchase.seller_id, &sales_month(now)),
    ];
    writes.extend(close_reservation_writes(
        &purchase.reservation_id,
        &purchase.buyer_id,
        now,
    ));
    if let Some(copy) = &copy {
        writes.extend(create_lead_writes(copy)?);
    }
    let sale = Sale {
        seller_id: &purchase.seller_id,
        buyer_id: &purchase.buyer_id,
        price_cents: purchase.price_cents,
        fee_cents: purchase.fee_cents,
        completed_at: now,
    };
    let mut writes = with_sale(writes, &sale);
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    emails(ctx, &mut outbox, purchase, sold, &bought_id).await?;
    outbox.add_to(&mut writes)?;
    let mut transaction = Transaction::new();
    transaction.guarded(PAYMENT_EVENT, guard);
    transaction.extend(writes);
    match transaction.commit(&*ctx.store).await {
        Ok(()) => {}
        Err(e) if e.failed(PAYMENT_EVENT) => return Ok(Some(PaymentApplied::Duplicate)),
        Err(e) if e.lost_race() => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    }
    let sold_event = lead_sold_event(purchase, now);
    if let Err(e) = ctx.bus.publish(&[sold_event]).await {
        // The sale stands; only the live notice is lost.
        tracing::warn!(purchase = %purchase.id, error = %e, "lead-sold was not published");
    }
    Ok(Some(PaymentApplied::Completed))
}

/// The refund in full of `purchase`'s payment: the seller's transfer and
/// the platform's fee are taken back where the payment had them (a
/// destination charge to a connected account).
pub fn full_refund(purchase: &PurchaseRecord, reason: Option<&str>) -> NewRefund {
    let transferred = !purchase.seller_account_id.is_empty();
    NewRefund {
        payment_intent_id: purchase.payment_intent_id.clone(),
        reverse_transfer: transferred,
        refund_application_fee: transferred && purchase.fee_cents > 0,
        reason: reason.map(str::to_owned),
        metadata: [
            ("purchaseId".to_owned(), purchase.id.clone()),
            ("leadId".to_owned(), purchase.lead_id.clone()),
        ]
        .into(),
    }
}

/// Refunds a payment that came when `purchase` could no longer complete,
/// marks it `REFUNDED` and emails the buyer, with the event's guard.
async fn refund_late(
    ctx: &AppContext,
    purchase: &PurchaseRecord,
    guard: Write,
    why: &str,
) -> Result<PaymentApplied, StoreError> {
    let key = format!("refund:{}", purchase.id);
    let refund = match ctx
        .payments
        .refund_payment(&full_refund(purchase, None), &key)
        .await
    {
        Ok(refund) => refund,
        Err(PaymentError::Unavailable(m)) => {
            // The message is retried, with the same key.
            return Err(StoreError::Backend(format!("Stripe refund: {m}")));
        }
        Err(e) => {
            tracing::error!(purchase = %purchase.id, error = %e, "a late payment could not be refunded; refund it from Stripe's dashboard");
            return Ok(PaymentApplied::Unchanged(format!(
                "a late payment Stripe refused to refund: {e}"
            )));
        }
    };
    let now = ctx.clock.now();
    let mut writes = vec![refund_item(
        &purchase.id,
        purchase.status,
        &refund.id,
        why,
        now,
    )];
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    refund_email(ctx, &mut outbox, purchase, why).await?;
    outbox.add_to(&mut writes)?;
    let mut transaction = Transaction::new();
    transaction.guarded(PAYMENT_EVENT, guard);
    transaction.extend(writes);
    match transaction.commit(&*ctx.store).await {
        Ok(()) => Ok(PaymentApplied::Refunded),
        Err(e) if e.failed(PAYMENT_EVENT) => Ok(PaymentApplied::Duplicate),
        Err(e) if e.is_condition_failure() => Ok(PaymentApplied::Unchanged(format!(
            "refunded ({}); the purchase moved on meanwhile",
            refund.id
        ))),
        Err(e) => Err(e),
    }
}

/// The buyer's email about a refund, to the user who paid; once per purchase.
pub async fn refund_email(
    ctx: &AppContext,
    outbox: &mut Outbox,
    purchase: &PurchaseRecord,
    why: &str,
) -> Result<(), StoreError> {
    let company = get_listing_company(ctx, &purchase.lead_id).await?;
    add_to_outbox(
        outbox,
        &EmailJob::new(
            format!("purchase-refunded:{}", purchase.id),
            purchase.purchaser.email.clone(),
            &data::PurchaseRefunded {
                name: purchase.purchaser.name.clone(),
                lead: data::LeadCompany { company },
                price: money(purchase.price_cents),
                reason: why.to_owned(),
                link: "/marketplace/purchases".into(),
            },
        ),
    )
}

async fn get_listing_company(ctx: &AppContext, lead_id: &str) -> Result<String, StoreError> {
    Ok(crate::listing_store::get_listing(&*ctx.store, lead_id)
        .await?
        .and_then(|l| l.contact.company)
        .unwrap_or_default())
}

/// `lead-sold`, for the seller's and the buyer's open screens.
pub fn lead_sold_event(purchase: &PurchaseRecord, at: DateTime<Utc>) -> BusEvent {
    BusEvent {
        detail_type: "lead-sold".into(),
        detail: json!({
            "leadId": purchase.lead_id, "purchaseId": purchase.id,
            "sellerId": purchase.seller_id, "buyerId": purchase.buyer_id,
            "priceCents": purchase.price_cents,
            "partnerIds": [purchase.seller_id, purchase.buyer_id],
            "at": pc_platform::time::timestamp(at),
        }),
    }
}

fn money(cents: i64) -> String {
    pc_platform::money::Cents(cents).to_string()
}

/// The buyer's email to the user who paid; the seller's to each of its
/// active admins. Ids derive from the purchase: one email each, ever.
async fn emails(
    ctx: &AppContext,
    outbox: &mut Outbox,
    purchase: &PurchaseRecord,
    lead: &SoldLead,
    bought_id: &str,
) -> Result<(), StoreError> {
    let client = &ctx.config.client_url;
    let company = lead.contact.company.clone().unwrap_or_default();
    let price = money(purchase.price_cents);
    add_to_outbox(
        outbox,
        &EmailJob::new(
            format!("purchase-confirmed:{}", purchase.id),
            purchase.purchaser.email.clone(),
            &data::PurchaseConfirmed {
                name: purchase.purchaser.name.clone(),
                lead: data::BoughtLead {
                    company: company.clone(),
                    email: lead.email.clone(),
                },
                price: price.clone(),
                link: format!("{client}/leads/{bought_id}"),
            },
        ),
    )?;
    let seller_name = get_partner(&*ctx.store, &purchase.seller_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let admins = list_users(&*ctx.store, Some(&purchase.seller_id)).await?;
    for admin in admins
        .iter()
        .filter(|u| u.can_sign_in() && u.role >= Role::Admin)
    {
        add_to_outbox(
            outbox,
            &EmailJob::new(
                format!("lead-sold:{}:{}", purchase.id, admin.id),
                admin.email.clone(),
                &data::LeadSold {
                    name: admin.name.clone(),
                    partner_name: seller_name.clone(),
                    lead: data::LeadCompany {
                        company: company.clone(),
                    },
                    price: price.clone(),
                    link: format!("{client}/marketplace/my-listings"),
                },
            ),
        )?;
    }
    Ok(())
}
