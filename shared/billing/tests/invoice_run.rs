//! The monthly invoice of a partner on the embedded ports: made once
//! whatever runs it, and resumed without a second Stripe object or row
//! after a crash at any step.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use pc_accounts::billing_config::{BillingConfig, BillingTerm, BillingType, Month};
use pc_accounts::partners_store::{PartnerRecord, create_partner};
use pc_billing::invoices_store::{InvoiceStatus, Stage, invoice_with_lines};
use pc_billing::monthly_invoices::{fan_out, invoice_month, month_range, period_before};
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store::lead_item;
use pc_platform::AppState;
use pc_platform::context::EmbeddedParts;
use pc_platform::payments::PaymentGateway;
use pc_platform::payments::fake::{FakeStripe, FaultTiming, Operation};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

struct World {
    ctx: AppState,
    stripe: Arc<FakeStripe>,
    partner: String,
    period: Month,
}

/// A partner billed $50.00 per qualified lead with `leads` leads created
/// in May 2024 (and one in June, not charged).
async fn world(leads: usize) -> World {
    let parts = EmbeddedParts::in_memory();
    let (ctx, stripe) = (parts.context.clone(), parts.stripe.clone());
    let now = at("2024-06-01T07:00:00Z");
    let mut partner = PartnerRecord::new_active(&ctx.ids.new_id(), "Acme", "acme", now);
    let config = BillingConfig {
        partner_id: partner.id.clone(),
        billing_type: BillingType::QualifiedLead,
        billing_terms: vec![BillingTerm {
            start_month: Month::parse("2024-01").unwrap(),
            end_month: None,
            value: 5_000,
        }],
        billing_email: Some("billing@acme.io".into()),
        stripe_customer_id: None,
    };
    let extra = vec![pc_platform::store::Write::put(config.item().unwrap())];
    create_partner(&*ctx.store, &mut partner, true, extra)
        .await
        .unwrap();
    let period = Month::parse("2024-05").unwrap();
    let (start, end) = month_range(&period);
    let mut created = (0..leads)
        .map(|i| start + chrono::Duration::minutes(i as i64 * 30))
        .collect::<Vec<_>>();
    created.push(end);
    for (i, when) in created.into_iter().enumerate() {
        let email = LeadEmail::parse(&format!("lead{i}@buyer.io")).unwrap();
        let mut lead = LeadRecord::new(
            ctx.ids.new_id(),
            partner.id.clone(),
            email,
            LeadSource::Manual,
            when,
        );
        lead.deal_status = DealStatus::InTouch;
        ctx.store
            .put(lead_item(&lead).unwrap(), None)
            .await
            .unwrap();
    }
    World {
        ctx,
        stripe,
        partner: partner.id,
        period,
    }
}

/// How many invoices Stripe holds.
async fn stripe_invoices(w: &World) -> usize {
    w.stripe.objects_of_type("invoice").await.unwrap().len()
}

async fn invoices_of(w: &World) -> Vec<String> {
    let page = w
        .ctx
        .store
        .query(&pc_platform::store::Query::partition(
            pc_platform::store::Index::Gsi1,
            pc_billing::keys::partner_invoices_partition(&w.partner),
        ))
        .await
        .unwrap();
    page.items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_month_of_leads_makes_one_open_invoice_with_a_line_per_lead() {
    let w = world(3).await;
    let invoice = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.stage, Stage::Finalized);
    assert_eq!(invoice.stripe_status, InvoiceStatus::Open);
    assert_eq!(invoice.amount_cents, 15_000);
    let (_, lines) = invoice_with_lines(&*w.ctx.store, &invoice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.iter().map(|l| l.amount_cents).sum::<i64>(), 15_000);
    let stripe = w
        .stripe
        .get_invoice(invoice.stripe_invoice_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(stripe.total_cents, 15_000);
    // Again: the same invoice, no new Stripe object.
    let again = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, invoice.id);
    assert_eq!(stripe_invoices(&w).await, 1);
    assert_eq!(invoices_of(&w).await, [invoice.id]);
}

#[tokio::test]
async fn runs_at_once_make_one_invoice() {
    let w = world(5).await;
    let runs = (0..4).map(|_| invoice_month(&w.ctx, &w.partner, &w.period));
    let made = futures::future::join_all(runs).await;
    let ids: std::collections::BTreeSet<_> =
        made.into_iter().map(|r| r.unwrap().unwrap().id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(invoices_of(&w).await.len(), 1);
    assert_eq!(stripe_invoices(&w).await, 1, "one Stripe invoice");
    let invoice = pc_billing::invoices_store::get_invoice(&*w.ctx.store, ids.first().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.stage, Stage::Finalized);
    assert_eq!(
        w.stripe
            .get_invoice(invoice.stripe_invoice_id.as_deref().unwrap())
            .await
            .unwrap()
            .total_cents,
        25_000
    );
}

#[tokio::test]
async fn a_crash_after_the_stripe_create_resumes_with_the_same_draft() {
    let w = world(2).await;
    w.stripe
        .inject_fault(Operation::CreateInvoice, FaultTiming::After);
    assert!(invoice_month(&w.ctx, &w.partner, &w.period).await.is_err());
    let invoice = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.stage, Stage::Finalized);
    assert_eq!(stripe_invoices(&w).await, 1);
    let stripe = w
        .stripe
        .get_invoice(invoice.stripe_invoice_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        stripe.total_cents, 10_000,
        "the retry got the first draft back"
    );
    assert_eq!(invoices_of(&w).await, [invoice.id]);
}

#[tokio::test]
async fn a_crash_after_the_store_write_and_before_finalize_resumes_there() {
    let w = world(2).await;
    w.stripe
        .inject_fault(Operation::FinalizeInvoice, FaultTiming::Before);
    assert!(invoice_month(&w.ctx, &w.partner, &w.period).await.is_err());
    let stuck = pc_billing::invoices_store::get_invoice(&*w.ctx.store, &invoices_of(&w).await[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stuck.stage, Stage::LinesAdded);
    assert_eq!(stuck.stripe_status, InvoiceStatus::Draft);
    let invoice = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.stripe_status, InvoiceStatus::Open);
    assert_eq!(stripe_invoices(&w).await, 1);
    assert_eq!(invoices_of(&w).await, [invoice.id]);
}

#[tokio::test]
async fn a_crash_adding_lines_adds_none_twice() {
    let w = world(6).await;
    w.stripe
        .inject_fault(Operation::AddInvoiceLine, FaultTiming::After);
    assert!(invoice_month(&w.ctx, &w.partner, &w.period).await.is_err());
    let invoice = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    let stripe = w
        .stripe
        .get_invoice(invoice.stripe_invoice_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(stripe.total_cents, 30_000);
}

#[tokio::test]
async fn nothing_owed_is_no_invoice_and_the_fan_out_skips_unbilled_months() {
    let w = world(0).await;
    assert_eq!(
        invoice_month(&w.ctx, &w.partner, &w.period).await.unwrap(),
        None
    );
    assert!(invoices_of(&w).await.is_empty());
    // The terms begin in 2024-01: December 2023 has no billable partner.
    let december = Month::parse("2023-12").unwrap();
    assert_eq!(fan_out(&w.ctx, &december).await.unwrap(), 0);
    assert_eq!(fan_out(&w.ctx, &w.period).await.unwrap(), 1);
}

#[test]
fn the_period_is_the_month_past_in_los_angeles() {
    // 00:00 on June 1st in Los Angeles is 07:00 UTC.
    assert_eq!(
        period_before(at("2024-06-01T07:00:00Z")).as_str(),
        "2024-05"
    );
    // Still May 31st there at 06:59 UTC.
    assert_eq!(
        period_before(at("2024-06-01T06:59:00Z")).as_str(),
        "2024-04"
    );
    assert_eq!(
        period_before(at("2025-01-01T08:00:00Z")).as_str(),
        "2024-12"
    );
    let (start, end) = month_range(&Month::parse("2024-03").unwrap());
    assert_eq!(start, at("2024-03-01T08:00:00Z"));
    assert_eq!(
        end,
        at("2024-04-01T07:00:00Z"),
        "daylight saving began in March"
    );
}

#[tokio::test]
async fn a_month_too_big_for_one_transaction_is_planned_in_batches() {
    let w = world(130).await;
    let invoice = invoice_month(&w.ctx, &w.partner, &w.period)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.line_count, 130);
    assert_eq!(invoice.amount_cents, 650_000);
    let (_, lines) = invoice_with_lines(&*w.ctx.store, &invoice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lines.len(), 130);
    let stripe = w
        .stripe
        .get_invoice(invoice.stripe_invoice_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(stripe.total_cents, 650_000);
}

#[tokio::test]
async fn a_manual_charge_is_one_invoice_per_key_made_like_a_monthly_one() {
    use pc_billing::manual_charges::{ManualCharge, Planned, plan_manual_invoice};
    let w = world(0).await;
    let charge = ManualCharge {
        invoice_id: "charge-key-0001".into(),
        partner_id: w.partner.clone(),
        amount_cents: 12_345,
        description: "Setup fee".into(),
        created_by: "staff-1".into(),
    };
    let Planned::New(planned) = plan_manual_invoice(&w.ctx, &charge).await.unwrap() else {
        panic!("a new charge plans a new invoice");
    };
    assert!(matches!(
        plan_manual_invoice(&w.ctx, &charge).await.unwrap(),
        Planned::Existing(ref e) if e.id == planned.id
    ));
    let other = ManualCharge {
        amount_cents: 1,
        ..charge.clone()
    };
    assert!(matches!(
        plan_manual_invoice(&w.ctx, &other).await,
        Err(pc_billing::BillingError::KeyReused)
    ));
    let made = pc_billing::invoice_run::make_invoice(&w.ctx, &planned.id)
        .await
        .unwrap();
    assert_eq!(made.stripe_status, InvoiceStatus::Open);
    let stripe = w
        .stripe
        .get_invoice(made.stripe_invoice_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(stripe.total_cents, 12_345);
}
