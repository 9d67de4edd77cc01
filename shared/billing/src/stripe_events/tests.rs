use pc_accounts::billing_config::{BillingConfig, BillingType};
use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_platform::EmbeddedParts;
use pc_platform::email::EmailKind;
use pc_platform::payments::{Metadata, NewCustomer, NewInvoice, NewInvoiceLine, PaymentGateway};
use pc_platform::store::{Index, Query};
use serde_json::json;

use super::*;
use crate::invoices_store::{InvoiceType, Stage, get_invoice};

/// A partner with a billing email, and one invoice of 1,250.00 both at
/// the fake Stripe (a draft) and locally (Draft, with Stripe's id).
async fn world() -> (EmbeddedParts, String) {
    let parts = EmbeddedParts::in_memory();
    let ctx = &parts.context;
    let now = ctx.clock.now();
    let partner = PartnerRecord::new_active("P1", "Acme", "acme", now);
    ctx.store
        .put(partner_item(&partner).unwrap(), None)
        .await
        .unwrap();
    let config = BillingConfig {
        partner_id: "P1".into(),
        billing_type: BillingType::QualifiedLead,
        billing_terms: Vec::new(),
        billing_email: Some("pay@acme.test".into()),
        stripe_customer_id: None,
    };
    ctx.store.put(config.item().unwrap(), None).await.unwrap();
    let stripe = &parts.stripe;
    let customer = NewCustomer {
        name: "Acme".into(),
        email: None,
        metadata: Metadata::new(),
    };
    let customer_id = stripe
        .create_customer(&customer, "customer:P1")
        .await
        .unwrap();
    let new = NewInvoice {
        customer_id: customer_id.clone(),
        description: "Leads of 2030-01".into(),
        days_until_due: 30,
        metadata: [("invoiceId".to_owned(), "INV1".to_owned())].into(),
    };
    let draft = stripe
        .create_invoice(&new, "invoice:P1:2030-01")
        .await
        .unwrap();
    let line = NewInvoiceLine {
        customer_id: customer_id.clone(),
        invoice_id: draft.id.clone(),
        amount_cents: 125_000,
        description: "lead".into(),
        metadata: Metadata::new(),
    };
    stripe
        .add_invoice_line(&line, "line:INV1:L1")
        .await
        .unwrap();
    let record = InvoiceRecord {
        description: "Leads of 2030-01".into(),
        amount_cents: 125_000,
        line_count: 1,
        stripe_customer_id: Some(customer_id),
        stripe_invoice_id: Some(draft.id.clone()),
        stage: Stage::LinesAdded,
        ..InvoiceRecord::new("INV1", "P1", InvoiceType::Monthly, "2030-01", now)
    };
    ctx.store.put(record.item().unwrap(), None).await.unwrap();
    (parts, draft.id)
}

/// The events the fake sent, by type, in order.
async fn sent(parts: &EmbeddedParts, kind: &str) -> Vec<StripeEvent> {
    parts
        .stripe
        .sent_events()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.body).unwrap())
        .collect()
}

async fn invoice(parts: &EmbeddedParts) -> InvoiceRecord {
    get_invoice(&*parts.context.store, "INV1")
        .await
        .unwrap()
        .unwrap()
}

async fn queued_emails(parts: &EmbeddedParts) -> Vec<EmailJob> {
    let page = parts
        .context
        .store
        .query(&Query::partition(Index::Table, "QUEUE#emails"))
        .await
        .unwrap();
    page.items
        .iter()
        .map(|i| serde_json::from_str(i["body"].as_str().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn finalized_then_paid_opens_then_pays_with_the_payment_date() {
    let (parts, stripe_id) = world().await;
    let ctx = &parts.context;
    let open = parts
        .stripe
        .finalize_invoice(&stripe_id, "f")
        .await
        .unwrap();
    let finalized = &sent(&parts, "invoice.finalized").await[0];
    assert_eq!(
        apply_event(ctx, finalized).await.unwrap(),
        Outcome::Applied(InvoiceStatus::Open)
    );
    let local = invoice(&parts).await;
    assert_eq!(local.stripe_status, InvoiceStatus::Open);
    assert_eq!(local.amount_due_cents, Some(125_000));
    assert_eq!(local.hosted_invoice_url, open.hosted_invoice_url);

    parts.stripe.pay_invoice(&stripe_id).await.unwrap();
    let paid = &sent(&parts, "invoice.paid").await[0];
    assert_eq!(
        apply_event(ctx, paid).await.unwrap(),
        Outcome::Applied(InvoiceStatus::Paid)
    );
    let local = invoice(&parts).await;
    assert_eq!(local.stripe_status, InvoiceStatus::Paid);
    let paid_at = paid.data.object["status_transitions"]["paid_at"]
        .as_i64()
        .unwrap();
    assert_eq!(local.payment_date.map(|d| d.timestamp()), Some(paid_at));
    assert_eq!(
        apply_event(ctx, paid).await.unwrap(),
        Outcome::Duplicate,
        "a redelivery changes nothing"
    );
}

#[tokio::test]
async fn a_late_finalized_after_paid_leaves_it_paid_and_is_recorded() {
    let (parts, stripe_id) = world().await;
    let ctx = &parts.context;
    parts
        .stripe
        .finalize_invoice(&stripe_id, "f")
        .await
        .unwrap();
    parts.stripe.pay_invoice(&stripe_id).await.unwrap();
    let paid = &sent(&parts, "invoice.paid").await[0];
    let finalized = &sent(&parts, "invoice.finalized").await[0];
    // Paid first, straight from Draft: the missed step does not block it.
    assert_eq!(
        apply_event(ctx, paid).await.unwrap(),
        Outcome::Applied(InvoiceStatus::Paid)
    );
    assert_eq!(
        apply_event(ctx, finalized).await.unwrap(),
        Outcome::Unchanged
    );
    assert_eq!(invoice(&parts).await.stripe_status, InvoiceStatus::Paid);
    let guard = ctx
        .store
        .get(&stripe_event_key(&finalized.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(guard["outcome"], "unchanged");
    assert!(guard["ttl"].as_i64().unwrap() > ctx.clock.now().timestamp() + 29 * 86_400);
    assert_eq!(
        apply_event(ctx, finalized).await.unwrap(),
        Outcome::Duplicate
    );
}

#[tokio::test]
async fn a_failed_payment_emails_both_addresses_once_and_a_later_payment_takes() {
    let (parts, stripe_id) = world().await;
    let ctx = &parts.context;
    parts
        .stripe
        .finalize_invoice(&stripe_id, "f")
        .await
        .unwrap();
    parts.stripe.fail_invoice(&stripe_id).await.unwrap();
    let failed = &sent(&parts, "invoice.payment_failed").await[0];
    apply_event(ctx, &sent(&parts, "invoice.finalized").await[0])
        .await
        .unwrap();
    for _ in 0..3 {
        apply_event(ctx, failed).await.unwrap();
    }
    assert_eq!(invoice(&parts).await.stripe_status, InvoiceStatus::Failed);
    let mut emails = queued_emails(&parts).await;
    emails.sort_by(|a, b| a.to.cmp(&b.to));
    let to: Vec<&str> = emails.iter().map(|e| e.to.as_str()).collect();
    assert_eq!(to, [ctx.config.billing_alert_to.as_str(), "pay@acme.test"]);
    assert!(emails.iter().all(|e| e.kind == EmailKind::PaymentFailed));
    assert_eq!(emails[0].data["amount"], "$1,250.00");
    assert_eq!(emails[0].data["partnerName"], "Acme");
    assert_eq!(emails[0].data["period"], "2030-01");

    parts.stripe.pay_invoice(&stripe_id).await.unwrap();
    let paid = &sent(&parts, "invoice.paid").await[0];
    assert_eq!(
        apply_event(ctx, paid).await.unwrap(),
        Outcome::Applied(InvoiceStatus::Paid)
    );
}

#[tokio::test]
async fn a_void_takes_from_open_and_never_from_paid() {
    let (parts, stripe_id) = world().await;
    let ctx = &parts.context;
    parts
        .stripe
        .finalize_invoice(&stripe_id, "f")
        .await
        .unwrap();
    parts.stripe.void_invoice(&stripe_id, "v").await.unwrap();
    let voided = &sent(&parts, "invoice.voided").await[0];
    apply_event(ctx, &sent(&parts, "invoice.finalized").await[0])
        .await
        .unwrap();
    assert_eq!(
        apply_event(ctx, voided).await.unwrap(),
        Outcome::Applied(InvoiceStatus::Void)
    );
    assert_eq!(invoice(&parts).await.stripe_status, InvoiceStatus::Void);
}

#[tokio::test]
async fn unknown_invoices_unhandled_types_and_marketplace_payments_are_recorded() {
    let (parts, _) = world().await;
    let ctx = &parts.context;
    let event = |id: &str, kind: &str, object: Value| -> StripeEvent {
        serde_json::from_value(json!({"id": id, "type": kind, "data": {"object": object}})).unwrap()
    };
    let unknown = event(
        "evt_u",
        "invoice.paid",
        json!({"id": "in_nobody", "metadata": {}}),
    );
    assert_eq!(apply_event(ctx, &unknown).await.unwrap(), Outcome::Ignored);
    assert_eq!(
        apply_event(ctx, &unknown).await.unwrap(),
        Outcome::Duplicate
    );
    let other = event("evt_o", "customer.created", json!({"id": "cus_1"}));
    assert_eq!(apply_event(ctx, &other).await.unwrap(), Outcome::Ignored);
    let intent = event("evt_p", "payment_intent.succeeded", json!({"id": "pi_1"}));
    assert_eq!(apply_event(ctx, &intent).await.unwrap(), Outcome::Ignored);
    let guard = ctx
        .store
        .get(&stripe_event_key("evt_p"))
        .await
        .unwrap()
        .unwrap();
    assert!(guard["note"].as_str().unwrap().contains("marketplace"));
    let unknown = event(
        "evt_q",
        "payment_intent.succeeded",
        json!({"id": "pi_2", "metadata": {"purchaseId": "R-none"}}),
    );
    assert_eq!(
        apply_event(ctx, &unknown).await.unwrap(),
        Outcome::Unchanged
    );
    assert_eq!(invoice(&parts).await.stripe_status, InvoiceStatus::Draft);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_event_apply_it_once() {
    let (parts, stripe_id) = world().await;
    parts
        .stripe
        .finalize_invoice(&stripe_id, "f")
        .await
        .unwrap();
    parts.stripe.fail_invoice(&stripe_id).await.unwrap();
    let failed = sent(&parts, "invoice.payment_failed").await.remove(0);
    let ctx = parts.context.clone();
    let tasks = (0..8).map(|_| {
        let ctx = ctx.clone();
        let failed = failed.clone();
        tokio::spawn(async move { apply_event(&ctx, &failed).await.unwrap() })
    });
    let outcomes: Vec<Outcome> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let applied = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Applied(_)))
        .count();
    assert_eq!(applied, 1, "{outcomes:?}");
    assert_eq!(queued_emails(&parts).await.len(), 2);
}

#[test]
fn every_forward_path_is_reachable_and_no_backward_one() {
    use InvoiceStatus::*;
    assert_eq!(reachable_from(Open), [Draft]);
    let mut paid = reachable_from(Paid);
    paid.sort_by_key(|s| s.as_str());
    assert_eq!(paid, [Draft, Failed, Open]);
    assert!(!reachable_from(Open).contains(&Paid));
    assert!(!reachable_from(Failed).contains(&Paid));
    assert_eq!(money(125_000), "$1,250.00");
    assert_eq!(money(5), "$0.05");
    assert_eq!(money(123_456_789), "$1,234,567.89");
}
