//! Support for the billing scenarios: a billable partner with leads in a
//! month, its invoices as the API shows them.

use pc_leads::lead::{Contact, LeadEmail, LeadRecord};
use pc_leads::{DealStatus, LeadSource, leads_store};
use reqwest::StatusCode;
use serde_json::Value;

use crate::leads_support::seed_partner;
use crate::notify_support::at;
use crate::{TestApp, expect_json, json};

/// A partner with `billing` (the `PUT /v1/partners/{id}/billing` body), set
/// by the signed-in owner; answers its id.
pub async fn billable_partner(app: &TestApp, name: &str, billing: Value) -> String {
    let id = seed_partner(app, name, &[]).await;
    let response = app
        .put(&format!("/v1/partners/{id}/billing"), &billing)
        .await;
    expect_json(response, StatusCode::OK).await;
    id
}

/// Qualified leads at $50.00 each from January 2024 on.
pub fn fifty_per_lead() -> Value {
    json!({"billingType": "qualified_lead", "billingEmail": "billing@acme.test",
        "billingTerms": [{"startMonth": "2024-01", "endMonth": null, "value": 50}]})
}

/// Stores a lead of the partner created at `created`, in `status`, with a
/// deal amount in cents.
pub async fn lead_created(
    app: &TestApp,
    partner_id: &str,
    email: &str,
    created: &str,
    status: DealStatus,
    deal_amount_cents: Option<i64>,
) -> String {
    let ctx = &app.server.context;
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner_id.to_owned(),
        LeadEmail::parse(email).expect("a lead email"),
        LeadSource::Manual,
        at(created),
    );
    lead.contact = Contact {
        company: Some("Buyer Co".into()),
        ..Contact::default()
    };
    lead.deal_status = status;
    lead.deal_amount_cents = deal_amount_cents;
    leads_store::create(ctx.store.as_ref(), &lead)
        .await
        .expect("lead stored");
    lead.id
}

/// Runs `monthly-invoices` at 00:00 on the 1st of June 2024 in Los
/// Angeles (May is invoiced) and lets every message finish.
pub async fn invoice_may(app: &TestApp) {
    app.set_clock("2024-06-01T07:00:00Z").await;
    let run = app.run_job("monthly-invoices").await;
    assert_eq!(run["status"], "completed", "{run}");
    app.drain().await;
}

/// The partner's invoices as its page lists them.
pub async fn invoices_of(app: &TestApp, partner_id: &str) -> Vec<Value> {
    let list = expect_json(
        app.get(&format!("/v1/partners/{partner_id}/invoices"))
            .await,
        StatusCode::OK,
    )
    .await;
    list["list"].as_array().cloned().unwrap_or_default()
}

/// The partner's one invoice, with its lines.
pub async fn the_invoice_of(app: &TestApp, partner_id: &str) -> Value {
    let invoices = invoices_of(app, partner_id).await;
    assert_eq!(invoices.len(), 1, "one invoice: {invoices:?}");
    let id = invoices[0]["id"].as_str().expect("an invoice id");
    expect_json(
        app.get(&format!("/v1/billing/invoices/{id}")).await,
        StatusCode::OK,
    )
    .await
}
