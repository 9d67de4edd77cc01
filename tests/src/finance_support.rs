//! Seeding for the billing scenarios while the monthly invoice run is not
//! what is under test: an invoice is made the way the run makes one — a
//! Stripe draft with one line per charge through the running system's
//! payments port, the local invoice with its lines through the store (in
//! the status the scenario needs), then the finalization at Stripe.

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use pc_billing::invoices_store::{
    InvoiceLineRecord, InvoiceRecord, InvoiceStatus, InvoiceType, Stage,
};
use pc_platform::payments::{NewCustomer, NewInvoice, NewInvoiceLine};
use pc_platform::store::Write;

use crate::{TestApp, expect_json};

/// A stored invoice of `partner_id` for `period` with one line per amount
/// (cents), in `status`. Open, failed, paid and void invoices have been
/// finalized at Stripe; a draft has not.
pub async fn seed_invoice(
    app: &TestApp,
    partner_id: &str,
    period: &str,
    line_cents: &[i64],
    status: InvoiceStatus,
) -> InvoiceRecord {
    let ctx = &app.server.context;
    let id = ctx.ids.new_id();
    let now: DateTime<Utc> = ctx.clock.now();
    let payments = &ctx.payments;
    let customer = payments
        .create_customer(
            &NewCustomer {
                name: format!("Partner {partner_id}"),
                email: None,
                metadata: [("partnerId".to_owned(), partner_id.to_owned())].into(),
            },
            &format!("customer:{partner_id}"),
        )
        .await
        .expect("customer");
    let draft = payments
        .create_invoice(
            &NewInvoice {
                customer_id: customer.clone(),
                description: format!("Leads of {period}"),
                days_until_due: 30,
                metadata: [("invoiceId".to_owned(), id.clone())].into(),
            },
            &format!("invoice:{partner_id}:{period}"),
        )
        .await
        .expect("Stripe draft");
    let mut lines = Vec::new();
    for (n, cents) in line_cents.iter().enumerate() {
        let lead_id = format!("LEAD{n}");
        payments
            .add_invoice_line(
                &NewInvoiceLine {
                    customer_id: customer.clone(),
                    invoice_id: draft.id.clone(),
                    amount_cents: *cents,
                    description: format!("Qualified lead {lead_id}"),
                    metadata: Default::default(),
                },
                &format!("line:{id}:{lead_id}"),
            )
            .await
            .expect("Stripe line");
        lines.push(InvoiceLineRecord {
            invoice_id: id.clone(),
            line_id: lead_id.clone(),
            lead_id: Some(lead_id.clone()),
            description: format!("Qualified lead {lead_id}"),
            amount_cents: *cents,
            billing_period: period.to_owned(),
        });
    }
    let finalized = status != InvoiceStatus::Draft;
    let amount_cents = line_cents.iter().sum();
    let invoice = InvoiceRecord {
        description: format!("Leads of {period}"),
        line_count: u32::try_from(lines.len()).expect("few lines"),
        stripe_customer_id: Some(customer),
        stripe_invoice_id: Some(draft.id.clone()),
        amount_due_cents: finalized.then_some(amount_cents),
        stripe_status: status,
        payment_date: (status == InvoiceStatus::Paid).then_some(now),
        amount_cents,
        stage: if finalized {
            Stage::Finalized
        } else {
            Stage::LinesAdded
        },
        ..InvoiceRecord::new(&id, partner_id, InvoiceType::Monthly, period, now)
    };
    let mut writes = vec![Write::put(invoice.item().expect("invoice item"))];
    for line in &lines {
        writes.push(Write::put(line.item().expect("line item")));
    }
    ctx.store.transact(writes).await.expect("invoice stored");
    // Stored first, as the monthly run does, so that Stripe's webhook about
    // the finalization finds the invoice (and, being late, moves it nowhere).
    if finalized {
        payments
            .finalize_invoice(&draft.id, &format!("finalize:{id}"))
            .await
            .expect("Stripe finalize");
    }
    invoice
}

/// Sets a partner's billing configuration over HTTP as `staff`: $50.00
/// per qualified lead.
pub async fn configure_billing(app: &TestApp, staff: &Client, partner_id: &str) -> Value {
    let response = staff
        .put(app.url(&format!("/v1/partners/{partner_id}/billing")))
        .json(&crate::invoices_support::fifty_per_lead())
        .send()
        .await
        .expect("the server answers");
    expect_json(response, StatusCode::OK).await
}

/// `POST /v1/billing/add-credit` as `client`, with an idempotency key when given.
pub async fn add_credit(
    app: &TestApp,
    client: &Client,
    body: &Value,
    idempotency_key: Option<&str>,
) -> reqwest::Response {
    let mut request = client.post(app.url("/v1/billing/add-credit")).json(body);
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("the server answers")
}

/// The ids of a list answer's rows, in order.
pub fn row_ids(body: &Value) -> Vec<String> {
    body["list"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_owned())
        .collect()
}
