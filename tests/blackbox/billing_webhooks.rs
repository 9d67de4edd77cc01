//! Black-box scenarios of Stripe's webhooks: the fake Stripe sends signed
//! events to the webhook function as Stripe would, the worker moves our
//! invoice forward once per event; bad and stale signatures are refused,
//! a tenfold redelivery has one effect and one email per address, and
//! events out of order never move an invoice back.

use chrono::{Duration, Utc};
use pc_platform::payments::signature;
use pc_tests::billing_support::pc_billing::invoices_store::InvoiceStatus;
use pc_tests::billing_support::{
    last_event, local_invoice, post_webhook, replay, seed_invoice, stripe_events,
};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario};

/// Finalizes Stripe's draft through the port, as the monthly run does.
async fn finalize(app: &TestApp, stripe_id: &str) {
    app.server
        .context
        .payments
        .finalize_invoice(stripe_id, &format!("finalize:{stripe_id}"))
        .await
        .expect("Stripe finalizes the draft");
}

async fn act(app: &TestApp, path: &str) {
    expect_json(app.post(path, &json!({})).await, StatusCode::OK).await;
}

scenario!(
    a_finalized_then_paid_invoice_becomes_open_then_paid,
    |app| {
        let (id, stripe_id) = seed_invoice(app, "Acme").await;
        finalize(app, &stripe_id).await;
        app.drain().await;
        let open = local_invoice(app, &id).await;
        assert_eq!(open.stripe_status, InvoiceStatus::Open);
        assert_eq!(open.amount_due_cents, Some(125_000));
        assert!(open.hosted_invoice_url.is_some());

        act(app, &format!("/dev/stripe/invoices/{stripe_id}/pay")).await;
        app.drain().await;
        let paid = local_invoice(app, &id).await;
        assert_eq!(paid.stripe_status, InvoiceStatus::Paid);
        let event = last_event(app, "invoice.paid").await;
        assert_eq!(event["deliveryStatus"], 200);
        let body: serde_json::Value =
            serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            paid.payment_date.map(|d| d.timestamp()),
            body["data"]["object"]["status_transitions"]["paid_at"].as_i64()
        );
        // Paying twice is Stripe's refusal, not ours.
        let again = app
            .post(&format!("/dev/stripe/invoices/{stripe_id}/pay"), &json!({}))
            .await;
        expect_json(again, StatusCode::CONFLICT).await;
    }
);

scenario!(bad_missing_and_stale_signatures_are_refused, |app| {
    let (id, stripe_id) = seed_invoice(app, "Bolt").await;
    finalize(app, &stripe_id).await;
    app.drain().await;
    act(app, &format!("/dev/stripe/invoices/{stripe_id}/pay")).await;
    let paid = last_event(app, "invoice.paid").await;
    let body = paid["body"].as_str().unwrap();

    let missing = expect_json(post_webhook(app, body, None).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(missing["error"]["code"], "missing_signature");
    let now = Utc::now().timestamp();
    let forged = format!("t={now},v1={}", "ab".repeat(32));
    let bad = expect_json(
        post_webhook(app, body, Some(&forged)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["code"], "invalid_signature");
    // A timestamp at either end of i64 is stale, not an overflow (500).
    for extreme in [i64::MIN, i64::MAX] {
        let header = format!("t={extreme},v1={}", "ab".repeat(32));
        let answer = expect_json(
            post_webhook(app, body, Some(&header)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(answer["error"]["code"], "stale_signature", "{extreme}");
    }
    // The right signature over a body changed by one byte.
    let tampered = body.replacen("\"paid\"", "\"void\"", 1);
    let tampered = post_webhook(app, &tampered, paid["signature"].as_str()).await;
    assert_eq!(tampered.status(), StatusCode::BAD_REQUEST);

    // Signed ten minutes ago, by the real clock: stale.
    let secret = app
        .server
        .context
        .config
        .secrets
        .current(pc_platform::config::Secret::StripeWebhook)
        .unwrap();
    let old = (Utc::now() - Duration::minutes(10)).timestamp();
    let stale = signature::sign(&secret, old, body.as_bytes());
    let stale = expect_json(
        post_webhook(app, body, Some(&stale)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(stale["error"]["code"], "stale_signature");
    // The dev clock moved a month on (as a billing walk does) moves no
    // signature: the genuine delivery replays within five real minutes.
    app.set_clock(&(Utc::now() + Duration::days(31)).to_rfc3339())
        .await;
    let replayed = replay(app, &paid).await;
    assert_eq!(replayed.status(), StatusCode::OK);
    app.drain().await;
    // Only the genuine delivery took effect.
    assert_eq!(
        local_invoice(app, &id).await.stripe_status,
        InvoiceStatus::Paid
    );
});

scenario!(
    one_failed_payment_delivered_ten_times_fails_the_invoice_and_emails_once,
    |app| {
        let (id, stripe_id) = seed_invoice(app, "Cobalt").await;
        finalize(app, &stripe_id).await;
        act(app, &format!("/dev/stripe/invoices/{stripe_id}/fail")).await;
        let failed = last_event(app, "invoice.payment_failed").await;
        for _ in 0..10 {
            let answer = expect_json(replay(app, &failed).await, StatusCode::OK).await;
            assert_eq!(answer, json!({"received": true}));
        }
        app.drain().await;
        assert_eq!(
            local_invoice(app, &id).await.stripe_status,
            InvoiceStatus::Failed
        );
        let alert_to = app.server.context.config.billing_alert_to.clone();
        for to in [alert_to.as_str(), "pay@cobalt.test"] {
            let mails = mails_to(app, to, "Payment failed").await;
            assert_eq!(mails.len(), 1, "one email to {to}");
            assert!(mails[0]["text"].as_str().unwrap().contains("$1,250.00"));
        }
        // The customer pays after all: a failed invoice may still be paid.
        act(app, &format!("/dev/stripe/invoices/{stripe_id}/pay")).await;
        app.drain().await;
        assert_eq!(
            local_invoice(app, &id).await.stripe_status,
            InvoiceStatus::Paid
        );
    }
);

pc_tests::faulty_scenario!(
    a_finalized_event_arriving_after_paid_never_moves_the_invoice_back,
    |app, faults| {
        let (id, stripe_id) = seed_invoice(app, "Delta").await;
        // The first delivery of invoice.finalized fails: Stripe will retry it.
        faults.fail();
        finalize(app, &stripe_id).await;
        faults.restore();
        let finalized = last_event(app, "invoice.finalized").await;
        assert!(
            finalized["deliveryStatus"].as_u64().unwrap() >= 500,
            "{finalized}"
        );
        act(app, &format!("/dev/stripe/invoices/{stripe_id}/pay")).await;
        app.drain().await;
        let paid = local_invoice(app, &id).await;
        assert_eq!(
            paid.stripe_status,
            InvoiceStatus::Paid,
            "the missed step does not block"
        );
        assert!(paid.payment_date.is_some());

        // Stripe's retry of invoice.finalized, now after invoice.paid.
        expect_json(replay(app, &finalized).await, StatusCode::OK).await;
        app.drain().await;
        let after = local_invoice(app, &id).await;
        assert_eq!(after.stripe_status, InvoiceStatus::Paid);
        assert_eq!(after.payment_date, paid.payment_date);
        // And again, verbatim: a duplicate changes nothing either.
        expect_json(replay(app, &finalized).await, StatusCode::OK).await;
        app.drain().await;
        assert_eq!(
            local_invoice(app, &id).await.stripe_status,
            InvoiceStatus::Paid
        );
        let kinds: Vec<String> = stripe_events(app)
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(kinds, ["invoice.finalized", "invoice.paid"]);
    }
);

scenario!(
    a_fault_after_a_stripe_create_leaves_one_object_for_the_retry,
    |app| {
        let (_, stripe_id) = seed_invoice(app, "Echo").await;
        let fault = json!({"operation": "finalize_invoice", "when": "after"});
        expect_json(app.post("/dev/stripe/faults", &fault).await, StatusCode::OK).await;
        let payments = &app.server.context.payments;
        let key = format!("finalize:{stripe_id}");
        let crashed = payments.finalize_invoice(&stripe_id, &key).await;
        assert!(crashed.is_err(), "the caller never hears of the finalize");
        let retried = payments.finalize_invoice(&stripe_id, &key).await.unwrap();
        assert_eq!(retried.amount_due_cents, 125_000);
        let finalized: Vec<_> = stripe_events(app)
            .await
            .into_iter()
            .filter(|e| e["type"] == "invoice.finalized")
            .collect();
        assert_eq!(finalized.len(), 1, "finalized once");
        let unknown = json!({"operation": "teleport", "when": "after"});
        expect_json(
            app.post("/dev/stripe/faults", &unknown).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);
