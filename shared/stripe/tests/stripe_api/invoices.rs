//! Draft invoices, their lines, finalize, void and read.

use pc_platform::payments::{
    NewInvoice, NewInvoiceLine, PaymentError, PaymentGateway, StripeInvoice, StripeInvoiceStatus,
};

use crate::stripe_server::{StripeServer, fixture, metadata};

const INVOICE: &str = "in_1Pgc6tB7WZ01zgkWu9fdqL6I";

fn period_metadata() -> pc_platform::payments::Metadata {
    metadata(&[("partnerId", "P01ACME"), ("billingPeriod", "2026-10")])
}

#[tokio::test]
async fn a_draft_is_sent_to_pay_holds_only_its_lines_and_waits_for_us() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/invoices", 200, fixture("invoice_draft"))
        .await;
    let invoice = NewInvoice {
        customer_id: "cus_PartnerAcme01".into(),
        description: "Leads delivered in 2026-10".into(),
        days_until_due: 30,
        metadata: period_metadata(),
    };

    let draft = stripe
        .payments()
        .create_invoice(&invoice, "invoice:P01ACME:2026-10")
        .await
        .unwrap();

    assert_eq!(
        draft,
        StripeInvoice {
            id: INVOICE.into(),
            customer_id: "cus_PartnerAcme01".into(),
            status: StripeInvoiceStatus::Draft,
            total_cents: 0,
            amount_due_cents: 0,
            hosted_invoice_url: None,
            metadata: period_metadata(),
        }
    );
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/invoices");
    sent.assert_signed_with(Some("invoice:P01ACME:2026-10"));
    sent.assert_fields(&[
        ("customer", "cus_PartnerAcme01"),
        ("description", "Leads delivered in 2026-10"),
        ("collection_method", "send_invoice"),
        ("days_until_due", "30"),
        ("auto_advance", "false"),
        ("pending_invoice_items_behavior", "exclude"),
        ("currency", "usd"),
        ("metadata[partnerId]", "P01ACME"),
        ("metadata[billingPeriod]", "2026-10"),
    ]);
}

#[tokio::test]
async fn a_line_is_an_invoice_item_on_the_draft() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/invoiceitems", 200, fixture("invoiceitem"))
        .await;
    let line = NewInvoiceLine {
        customer_id: "cus_PartnerAcme01".into(),
        invoice_id: INVOICE.into(),
        amount_cents: 4_500,
        description: "Lead L01 (Roof repair, Austin)".into(),
        metadata: metadata(&[("leadId", "L01")]),
    };

    let id = stripe
        .payments()
        .add_invoice_line(&line, "line:in_1Pgc6tB7WZ01zgkWu9fdqL6I:L01")
        .await
        .unwrap();

    assert_eq!(id, "ii_1Pgc6sB7WZ01zgkWrG16hkdl");
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/invoiceitems");
    sent.assert_signed_with(Some("line:in_1Pgc6tB7WZ01zgkWu9fdqL6I:L01"));
    sent.assert_fields(&[
        ("customer", "cus_PartnerAcme01"),
        ("invoice", INVOICE),
        ("amount", "4500"),
        ("currency", "usd"),
        ("description", "Lead L01 (Roof repair, Austin)"),
        ("metadata[leadId]", "L01"),
    ]);
}

#[tokio::test]
async fn finalizing_opens_the_invoice_with_its_credit_applied_and_its_page() {
    let stripe = StripeServer::start().await;
    let route = format!("/v1/invoices/{INVOICE}/finalize");
    stripe
        .answers("POST", &route, 200, fixture("invoice_open"))
        .await;

    let open = stripe
        .payments()
        .finalize_invoice(INVOICE, "finalize:P01ACME:2026-10")
        .await
        .unwrap();

    assert_eq!(open.status, StripeInvoiceStatus::Open);
    assert_eq!(open.total_cents, 4_500);
    assert_eq!(open.amount_due_cents, 4_000, "the 5.00 credit is applied");
    assert!(
        open.hosted_invoice_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://invoice.stripe.com/")),
        "{open:?}"
    );
    let sent = stripe.only_request().await;
    sent.assert_post(&route);
    sent.assert_signed_with(Some("finalize:P01ACME:2026-10"));
    sent.assert_fields(&[("auto_advance", "true")]);
}

#[tokio::test]
async fn voiding_answers_the_void_invoice() {
    let stripe = StripeServer::start().await;
    let route = format!("/v1/invoices/{INVOICE}/void");
    stripe
        .answers("POST", &route, 200, fixture("invoice_void"))
        .await;

    let void = stripe
        .payments()
        .void_invoice(INVOICE, "void:P01ACME:2026-10")
        .await
        .unwrap();

    assert_eq!(void.status, StripeInvoiceStatus::Void);
    assert_eq!(void.metadata, period_metadata());
    let sent = stripe.only_request().await;
    sent.assert_post(&route);
    sent.assert_signed_with(Some("void:P01ACME:2026-10"));
}

#[tokio::test]
async fn reading_an_invoice_is_a_get_without_idempotency_key() {
    let stripe = StripeServer::start().await;
    let route = format!("/v1/invoices/{INVOICE}");
    stripe
        .answers("GET", &route, 200, fixture("invoice_open"))
        .await;

    let invoice = stripe.payments().get_invoice(INVOICE).await.unwrap();

    assert_eq!(invoice.id, INVOICE);
    assert_eq!(invoice.status, StripeInvoiceStatus::Open);
    let sent = stripe.only_request().await;
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("GET", &*route));
    assert!(sent.form.is_empty(), "no body: {:?}", sent.form);
    assert!(sent.query.as_deref().unwrap_or("").is_empty());
    sent.assert_signed_with(None);
}

#[tokio::test]
async fn an_invoice_status_the_port_does_not_know_is_not_guessed() {
    let stripe = StripeServer::start().await;
    let mut invoice = fixture("invoice_open");
    invoice["status"] = "pending_review".into();
    stripe
        .answers("GET", &format!("/v1/invoices/{INVOICE}"), 200, invoice)
        .await;

    let error = stripe.payments().get_invoice(INVOICE).await.unwrap_err();

    assert!(matches!(error, PaymentError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("pending_review"), "{error}");
}
