//! Black-box scenarios of finance administration: staff list and open
//! invoices (with partner names, filters, search and sorting), partners'
//! admins read only their own partner's invoices, open invoices are voided
//! once at Stripe and here, and credits are given once per idempotency key.

use pc_billing::invoices_store::InvoiceStatus;
use pc_http::identity::Role;
use pc_platform::store::{Index, Query};
use pc_tests::finance_support::{add_credit, configure_billing, row_ids, seed_invoice};
use pc_tests::leads_support::{filter_query, get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};
use serde_json::Value;

fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

scenario!(staff_list_and_open_invoices_with_partner_names, |app| {
    let acme = seed_partner(app, "Acme Analytics", &[]).await;
    let globex = seed_partner(app, "Globex", &[]).await;
    let april = seed_invoice(app, &acme, "2024-04", &[5_000, 7_550], InvoiceStatus::Open).await;
    let may = seed_invoice(app, &acme, "2024-05", &[5_000], InvoiceStatus::Paid).await;
    let globex_may = seed_invoice(app, &globex, "2024-05", &[20_000], InvoiceStatus::Open).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;

    let all = get_ok(app, &staff, "/v1/billing/invoices?sort=amount:asc").await;
    assert_eq!(all["meta"]["total"], 3);
    assert_eq!(
        row_ids(&all),
        [may.id.as_str(), april.id.as_str(), globex_may.id.as_str()]
    );
    let row = &all["list"][1];
    assert_eq!(
        row["partner"],
        json!({"id": acme, "_id": acme, "name": "Acme Analytics"})
    );
    assert_eq!(row["amount"], json!(125.5));
    assert_eq!(row["amountCents"], 12_550);
    assert_eq!(row["stripeStatus"], "Open");
    assert_eq!(row["lineCount"], 2);
    assert_eq!(all["list"][2]["partner"]["name"], "Globex");

    let of_may =
        filter_query(&json!([{"column": "billingPeriod", "operator": "eq", "value": "2024-05"}]));
    let body = get_ok(
        app,
        &staff,
        &format!("/v1/billing/invoices?{of_may}&sort=amount:desc"),
    )
    .await;
    assert_eq!(row_ids(&body), [globex_may.id.as_str(), may.id.as_str()]);
    let paid =
        filter_query(&json!([{"column": "stripeStatus", "operator": "eq", "value": "Paid"}]));
    let body = get_ok(app, &staff, &format!("/v1/billing/invoices?{paid}")).await;
    assert_eq!(row_ids(&body), [may.id.as_str()]);
    let of_acme = filter_query(&json!([{"column": "partnerId", "operator": "eq", "value": acme}]));
    let body = get_ok(
        app,
        &staff,
        &format!("/v1/billing/invoices?{of_acme}&sort=billingPeriod:asc"),
    )
    .await;
    assert_eq!(row_ids(&body), [april.id.as_str(), may.id.as_str()]);
    let body = get_ok(app, &staff, "/v1/billing/invoices?search=GLOBEX").await;
    assert_eq!(row_ids(&body), [globex_may.id.as_str()]);
    let body = get_ok(
        app,
        &staff,
        "/v1/billing/invoices?perPage=2&page=1&sort=amount:asc",
    )
    .await;
    assert_eq!(
        (row_ids(&body), body["meta"]["total"].clone()),
        (vec![globex_may.id.clone()], json!(3))
    );

    for bad in [
        filter_query(&json!([{"column": "stage", "operator": "eq", "value": "x"}])),
        filter_query(&json!([{"column": "amount", "operator": "near", "value": 1}])),
        "sort=stripeInvoiceId:asc".to_owned(),
    ] {
        let response = staff
            .get(app.url(&format!("/v1/billing/invoices?{bad}")))
            .send()
            .await
            .unwrap();
        expect_json(response, StatusCode::BAD_REQUEST).await;
    }

    let detail = get_ok(app, &staff, &format!("/v1/billing/invoices/{}", april.id)).await;
    assert_eq!(detail["partner"]["name"], "Acme Analytics");
    assert_eq!(detail["stripeInvoiceId"], json!(april.stripe_invoice_id));
    let lines = detail["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let amounts: Vec<_> = lines.iter().map(|l| l["amount"].clone()).collect();
    assert!(
        amounts.contains(&json!(50.0)) && amounts.contains(&json!(75.5)),
        "{amounts:?}"
    );
    let missing = staff
        .get(app.url("/v1/billing/invoices/01JDNOSUCHINVOICE000000000"))
        .send()
        .await
        .unwrap();
    expect_json(missing, StatusCode::NOT_FOUND).await;
});

scenario!(partner_admins_read_only_their_own_invoices, |app| {
    let acme = seed_partner(app, "Acme", &[]).await;
    let globex = seed_partner(app, "Globex", &[]).await;
    let mine = seed_invoice(app, &acme, "2024-05", &[5_000], InvoiceStatus::Open).await;
    let theirs = seed_invoice(app, &globex, "2024-05", &[9_900], InvoiceStatus::Open).await;
    let (admin, _) = signed_in_user(app, Some(&acme), Role::Admin).await;
    let (user, _) = signed_in_user(app, Some(&acme), Role::User).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;

    let own = get_ok(app, &admin, &format!("/v1/partners/{acme}/invoices")).await;
    assert_eq!(row_ids(&own), [mine.id.as_str()]);
    assert_eq!(own["list"][0]["partner"]["name"], "Acme");
    let other = admin
        .get(app.url(&format!("/v1/partners/{globex}/invoices")))
        .send()
        .await
        .unwrap();
    expect_json(other, StatusCode::NOT_FOUND).await;
    for path in [
        "/v1/billing/invoices".to_owned(),
        format!("/v1/billing/invoices/{}", mine.id),
    ] {
        let response = admin.get(app.url(&path)).send().await.unwrap();
        expect_json(response, StatusCode::FORBIDDEN).await;
    }
    let void = admin
        .patch(app.url(&format!("/v1/billing/invoices/{}/void", mine.id)))
        .send()
        .await
        .unwrap();
    expect_json(void, StatusCode::FORBIDDEN).await;
    for path in [
        format!("/v1/partners/{acme}/invoices"),
        "/v1/billing/invoices".to_owned(),
    ] {
        let response = user.get(app.url(&path)).send().await.unwrap();
        expect_json(response, StatusCode::FORBIDDEN).await;
    }
    let seen_by_staff = get_ok(app, &staff, &format!("/v1/partners/{globex}/invoices")).await;
    assert_eq!(row_ids(&seen_by_staff), [theirs.id.as_str()]);
    let unknown = staff
        .get(app.url("/v1/partners/01JDNOSUCHPARTNER000000000/invoices"))
        .send()
        .await
        .unwrap();
    expect_json(unknown, StatusCode::NOT_FOUND).await;
});

scenario!(only_open_invoices_are_voided_once, |app| {
    let acme = seed_partner(app, "Acme", &[]).await;
    let open = seed_invoice(app, &acme, "2024-05", &[5_000], InvoiceStatus::Open).await;
    let failed = seed_invoice(app, &acme, "2024-04", &[5_000], InvoiceStatus::Failed).await;
    let paid = seed_invoice(app, &acme, "2024-03", &[5_000], InvoiceStatus::Paid).await;
    let draft = seed_invoice(app, &acme, "2024-06", &[5_000], InvoiceStatus::Draft).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let void = |id: String| {
        let staff = staff.clone();
        let url = app.url(&format!("/v1/billing/invoices/{id}/void"));
        async move { staff.patch(url).send().await.unwrap() }
    };

    let voided = expect_json(void(open.id.clone()).await, StatusCode::OK).await;
    assert_eq!(voided["stripeStatus"], "Void");
    assert_eq!(voided["partner"]["name"], "Acme");
    let stripe_id = open.stripe_invoice_id.clone().unwrap();
    let at_stripe = app
        .server
        .context
        .payments
        .get_invoice(&stripe_id)
        .await
        .unwrap();
    assert_eq!(at_stripe.status.as_str(), "void");
    let detail = get_ok(app, &staff, &format!("/v1/billing/invoices/{}", open.id)).await;
    assert_eq!(detail["stripeStatus"], "Void");

    let again = expect_json(void(open.id.clone()).await, StatusCode::CONFLICT).await;
    assert_eq!(again["error"]["code"], "invoice_not_open");
    assert!(
        again["error"]["message"].as_str().unwrap().contains("Void"),
        "{again}"
    );
    for (invoice, status) in [(&paid, "Paid"), (&draft, "Draft")] {
        let refused = expect_json(void(invoice.id.clone()).await, StatusCode::CONFLICT).await;
        assert_eq!(refused["error"]["code"], "invoice_not_open");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains(status)
        );
    }
    // A failed payment leaves the invoice open at Stripe: it may be voided.
    let voided = expect_json(void(failed.id.clone()).await, StatusCode::OK).await;
    assert_eq!(voided["stripeStatus"], "Void");
    expect_json(
        void("01JDNOSUCHINVOICE000000000".into()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
});

scenario!(credits_are_checked_then_given_once_per_key, |app| {
    let acme = seed_partner(app, "Acme", &[]).await;
    let unconfigured = seed_partner(app, "Initech", &[]).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let (partner_admin, _) = signed_in_user(app, Some(&acme), Role::Admin).await;
    let credit = |partner: &str, amount: Value, description: &str| json!({"partnerId": partner, "amount": amount, "description": description});

    let bad = add_credit(app, &staff, &credit("", json!(0), " "), None).await;
    let body = expect_json(bad, StatusCode::BAD_REQUEST).await;
    assert_eq!(fields(&body), ["partnerId", "amount", "description"]);
    for amount in [json!(-5), json!(1.005), json!(1_000_000)] {
        let bad = add_credit(app, &staff, &credit(&acme, amount, "x"), None).await;
        assert_eq!(
            fields(&expect_json(bad, StatusCode::BAD_REQUEST).await),
            ["amount"]
        );
    }
    let long = "x".repeat(501);
    let bad = add_credit(app, &staff, &credit(&acme, json!(5), &long), None).await;
    assert_eq!(
        fields(&expect_json(bad, StatusCode::BAD_REQUEST).await),
        ["description"]
    );
    let bad = add_credit(
        app,
        &staff,
        &credit(&acme, json!(5), "x"),
        Some("not a key!"),
    )
    .await;
    assert_eq!(
        fields(&expect_json(bad, StatusCode::BAD_REQUEST).await),
        ["Idempotency-Key"]
    );
    let unknown = credit("01JDNOSUCHPARTNER000000000", json!(5), "x");
    let bad = add_credit(app, &staff, &unknown, None).await;
    assert_eq!(
        fields(&expect_json(bad, StatusCode::BAD_REQUEST).await),
        ["partnerId"]
    );
    let refused = add_credit(app, &staff, &credit(&unconfigured, json!(5), "x"), None).await;
    let refused = expect_json(refused, StatusCode::CONFLICT).await;
    assert_eq!(refused["error"]["code"], "billing_not_configured");
    let forbidden = add_credit(app, &partner_admin, &credit(&acme, json!(5), "x"), None).await;
    expect_json(forbidden, StatusCode::FORBIDDEN).await;

    configure_billing(app, &staff, &acme).await;
    let goodwill = credit(&acme, json!(25.5), "Goodwill for March");
    let first = add_credit(app, &staff, &goodwill, Some("credit-retry-1")).await;
    let first = expect_json(first, StatusCode::CREATED).await;
    assert_eq!(first["id"], "credit-retry-1");
    assert_eq!(first["amount"], json!(25.5));
    assert_eq!(first["amountCents"], 2_550);
    assert_eq!(first["partner"]["name"], "Acme");
    assert!(
        first["stripeBalanceTransactionId"]
            .as_str()
            .unwrap()
            .starts_with("cbtxn_")
    );
    let billing = get_ok(app, &staff, &format!("/v1/partners/{acme}/billing")).await;
    assert_eq!(billing["stripeCustomerId"], first["stripeCustomerId"]);

    let retry = add_credit(app, &staff, &goodwill, Some("credit-retry-1")).await;
    let retry = expect_json(retry, StatusCode::CREATED).await;
    assert_eq!(retry, first, "a retry answers the first credit");
    let reused = add_credit(
        app,
        &staff,
        &credit(&acme, json!(30), "Other"),
        Some("credit-retry-1"),
    )
    .await;
    let reused = expect_json(reused, StatusCode::CONFLICT).await;
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");

    let no_key = add_credit(app, &staff, &goodwill, None).await;
    let second = expect_json(no_key, StatusCode::CREATED).await;
    assert_ne!(
        second["id"], first["id"],
        "without a key, each request is a credit"
    );
    assert_ne!(
        second["stripeBalanceTransactionId"],
        first["stripeBalanceTransactionId"]
    );

    let stored = app
        .server
        .context
        .store
        .query(&Query::partition(
            Index::Gsi1,
            format!("PARTNER#{acme}#CREDITS"),
        ))
        .await
        .unwrap();
    assert_eq!(stored.items.len(), 2, "one credit per key, one without");
});
