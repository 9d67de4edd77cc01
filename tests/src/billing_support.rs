//! Billing fixtures for black-box scenarios: a partner with a billing
//! email and one invoice both at the fake Stripe (a draft with one line)
//! and in our store, as the monthly run leaves it before finalizing; and
//! the Stripe webhook's requests.

use pc_billing::invoices_store::{self, InvoiceRecord, InvoiceType, Stage};
use pc_platform::payments::{Metadata, NewCustomer, NewInvoice, NewInvoiceLine};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::{TestApp, expect_json, json};

pub use pc_billing;

/// An invoice of 1,250.00 for a fresh partner (billing email
/// `pay@<name>.test`): (our invoice id, Stripe's invoice id). Signs the
/// owner in.
pub async fn seed_invoice(app: &TestApp, name: &str) -> (String, String) {
    app.sign_in_owner().await;
    let partner = expect_json(
        app.post("/v1/partners", &json!({"name": name})).await,
        StatusCode::CREATED,
    )
    .await;
    let partner_id = partner["id"].as_str().expect("a partner id").to_owned();
    let billing = json!({"billingType": "qualified_lead",
        "billingTerms": [{"startMonth": "2024-01", "endMonth": null, "value": 1250}],
        "billingEmail": format!("pay@{}.test", name.to_lowercase())});
    expect_json(
        app.put(&format!("/v1/partners/{partner_id}/billing"), &billing)
            .await,
        StatusCode::OK,
    )
    .await;
    let ctx = &app.server.context;
    let stripe = &ctx.payments;
    let invoice_id = format!("INV-{}", partner_id);
    let customer = NewCustomer {
        name: name.into(),
        email: None,
        metadata: Metadata::new(),
    };
    let customer_id = stripe
        .create_customer(&customer, &format!("customer:{partner_id}"))
        .await
        .expect("a Stripe customer");
    let new = NewInvoice {
        customer_id: customer_id.clone(),
        description: "Leads of 2024-01".into(),
        days_until_due: 30,
        metadata: [("invoiceId".to_owned(), invoice_id.clone())].into(),
    };
    let draft = stripe
        .create_invoice(&new, &format!("invoice:{partner_id}:2024-01"))
        .await
        .expect("a Stripe draft");
    let line = NewInvoiceLine {
        customer_id: customer_id.clone(),
        invoice_id: draft.id.clone(),
        amount_cents: 125_000,
        description: "one qualified lead".into(),
        metadata: Metadata::new(),
    };
    stripe
        .add_invoice_line(&line, &format!("line:{invoice_id}:L1"))
        .await
        .expect("a Stripe line");
    let now = ctx.clock.now();
    let record = InvoiceRecord {
        description: "Leads of 2024-01".into(),
        amount_cents: 125_000,
        line_count: 1,
        stripe_customer_id: Some(customer_id),
        stripe_invoice_id: Some(draft.id.clone()),
        stage: Stage::LinesAdded,
        ..InvoiceRecord::new(
            &invoice_id,
            &partner_id,
            InvoiceType::Monthly,
            "2024-01",
            now,
        )
    };
    ctx.store
        .put(record.item().expect("an invoice item"), None)
        .await
        .expect("the invoice stored");
    (invoice_id, draft.id)
}

/// Our invoice as stored now.
pub async fn local_invoice(app: &TestApp, id: &str) -> InvoiceRecord {
    invoices_store::get_invoice(&*app.server.context.store, id)
        .await
        .expect("the store answers")
        .expect("the invoice exists")
}

/// Every event the fake Stripe sent, oldest first.
pub async fn stripe_events(app: &TestApp) -> Vec<Value> {
    let body = expect_json(app.get("/dev/stripe/events").await, StatusCode::OK).await;
    body["list"].as_array().cloned().unwrap_or_default()
}

/// The last event of `kind` the fake sent.
pub async fn last_event(app: &TestApp, kind: &str) -> Value {
    stripe_events(app)
        .await
        .into_iter()
        .rev()
        .find(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event was sent"))
}

/// Posts `body` to the Stripe webhook with `signature` (none: no header).
pub async fn post_webhook(app: &TestApp, body: &str, signature: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(app.url("/v1/billing/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request.send().await.expect("the server answers")
}

/// Replays a sent event verbatim: its exact body and its signature header.
pub async fn replay(app: &TestApp, event: &Value) -> Response {
    post_webhook(
        app,
        event["body"].as_str().expect("a body"),
        event["signature"].as_str(),
    )
    .await
}
