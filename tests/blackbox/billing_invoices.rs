//! Black-box scenarios of monthly invoicing: a month of leads becomes one
//! invoice per partner with a line per charged lead, whatever runs the
//! month and however often, and is paid through the fake Stripe's dev
//! routes and its webhook.

use pc_leads::DealStatus;
use pc_tests::invoices_support::{
    billable_partner, fifty_per_lead, invoice_may, invoices_of, lead_created, the_invoice_of,
};
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

/// Amounts of a line or invoice, in cents.
fn cents(v: &serde_json::Value) -> i64 {
    v["amountCents"].as_i64().expect("amountCents")
}

scenario!(
    each_billing_type_is_invoiced_once_with_a_line_per_charged_lead,
    |app| {
        app.sign_in_owner().await;
        let qualified = billable_partner(app, "Qualified", fifty_per_lead()).await;
        let won = billable_partner(
            app,
            "Won",
            json!({"billingType": "closed_won_lead",
        "billingTerms": [{"startMonth": "2024-01", "endMonth": null, "value": 200}]}),
        )
        .await;
        let share = billable_partner(
            app,
            "Share",
            json!({"billingType": "percentage_of_deal",
        "billingTerms": [{"startMonth": "2023-01", "endMonth": "2023-12", "value": 50},
                         {"startMonth": "2024-01", "endMonth": null, "value": 12.5}]}),
        )
        .await;
        let may = "2024-05-10T12:00:00Z";
        for (i, status) in [DealStatus::New, DealStatus::InTouch, DealStatus::Won]
            .into_iter()
            .enumerate()
        {
            lead_created(
                app,
                &qualified,
                &format!("q{i}@buyer.test"),
                may,
                status,
                None,
            )
            .await;
        }
        // Created in June (Los Angeles): next month's.
        lead_created(
            app,
            &qualified,
            "june@buyer.test",
            "2024-06-01T07:00:00Z",
            DealStatus::New,
            None,
        )
        .await;
        lead_created(
            app,
            &won,
            "w1@buyer.test",
            may,
            DealStatus::Won,
            Some(100_000),
        )
        .await;
        lead_created(app, &won, "w2@buyer.test", may, DealStatus::Won, None).await;
        lead_created(
            app,
            &won,
            "lost@buyer.test",
            may,
            DealStatus::LostNoShow,
            None,
        )
        .await;
        lead_created(
            app,
            &share,
            "big@buyer.test",
            may,
            DealStatus::Won,
            Some(1_000_000),
        )
        .await;
        lead_created(
            app,
            &share,
            "odd@buyer.test",
            may,
            DealStatus::Won,
            Some(33_333),
        )
        .await;
        lead_created(
            app,
            &share,
            "open@buyer.test",
            may,
            DealStatus::InTouch,
            Some(500_000),
        )
        .await;

        invoice_may(app).await;

        // 3 × $50.00; 2 won × $200.00; 12.5% of $10,000.00 and of $333.33
        // ($41.66625, half up once per line: $41.67).
        for (partner, total, lines) in [
            (&qualified, 15_000, vec![5_000, 5_000, 5_000]),
            (&won, 40_000, vec![20_000, 20_000]),
            (&share, 129_167, vec![125_000, 4_167]),
        ] {
            let invoice = the_invoice_of(app, partner).await;
            assert_eq!(invoice["billingPeriod"], "2024-05", "{invoice}");
            assert_eq!(invoice["stripeStatus"], "Open", "{invoice}");
            assert_eq!(cents(&invoice), total, "{invoice}");
            let mut amounts: Vec<i64> = invoice["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(cents)
                .collect();
            amounts.sort_unstable_by(|a, b| b.cmp(a));
            assert_eq!(amounts, lines, "{invoice}");
        }
        assert_eq!(the_invoice_of(app, &share).await["amount"], json!(1291.67));

        // The customer pays through Stripe; Stripe's webhook marks it paid.
        let invoice = the_invoice_of(app, &qualified).await;
        let stripe_id = invoice["stripeInvoiceId"].as_str().unwrap();
        let paid = app
            .post(&format!("/dev/stripe/invoices/{stripe_id}/pay"), &json!({}))
            .await;
        assert_eq!(paid.status(), StatusCode::OK);
        app.drain().await;
        let invoice = the_invoice_of(app, &qualified).await;
        assert_eq!(invoice["stripeStatus"], "Paid", "{invoice}");
        assert!(invoice["paymentDate"].is_string(), "{invoice}");
    }
);

scenario!(
    the_job_twice_at_once_and_a_regeneration_make_one_invoice_per_partner,
    |app| {
        app.sign_in_owner().await;
        let partners = [
            billable_partner(app, "One", fifty_per_lead()).await,
            billable_partner(app, "Two", fifty_per_lead()).await,
        ];
        for (p, partner) in partners.iter().enumerate() {
            for i in 0..3 {
                let email = format!("l{p}{i}@buyer.test");
                lead_created(
                    app,
                    partner,
                    &email,
                    "2024-05-03T10:00:00Z",
                    DealStatus::New,
                    None,
                )
                .await;
            }
        }
        app.set_clock("2024-06-01T07:00:00Z").await;
        app.run_job("monthly-invoices").await;
        app.run_job("monthly-invoices").await;
        let body = json!({"period": "2024-05"});
        let generate = || app.post("/v1/billing/invoices/generate", &body);
        let (a, b) = tokio::join!(generate(), generate());
        let task = expect_json(a, StatusCode::ACCEPTED).await;
        expect_json(b, StatusCode::ACCEPTED).await;
        app.drain().await;
        for partner in &partners {
            let invoices = invoices_of(app, partner).await;
            assert_eq!(invoices.len(), 1, "{invoices:?}");
            assert_eq!(cents(&invoices[0]), 15_000);
        }
        let task_id = task["taskId"].as_str().unwrap();
        let status = expect_json(
            app.get(&format!("/v1/billing/invoices/generate/{task_id}"))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(status["status"], "completed", "{status}");
        assert_eq!(status["partners"], 2);
        assert_eq!(status["processed"], 2);
    }
);

scenario!(
    a_crash_mid_invoice_resumes_without_a_second_invoice,
    |app| {
        app.sign_in_owner().await;
        let before_store = billable_partner(app, "Before store", fifty_per_lead()).await;
        lead_created(
            app,
            &before_store,
            "a@buyer.test",
            "2024-05-03T10:00:00Z",
            DealStatus::New,
            None,
        )
        .await;
        // Stripe makes the draft but the answer is lost, as if the worker died
        // before storing it; then the worker dies before finalizing.
        for (operation, when) in [("create_invoice", "after"), ("finalize_invoice", "before")] {
            let fault = app
                .post(
                    "/dev/stripe/faults",
                    &json!({"operation": operation, "when": when}),
                )
                .await;
            assert_eq!(fault.status(), StatusCode::OK, "{operation}");
        }
        invoice_may(app).await;
        let invoice = the_invoice_of(app, &before_store).await;
        assert_eq!(invoice["stripeStatus"], "Open", "{invoice}");
        assert_eq!(cents(&invoice), 5_000);
        let events = expect_json(app.get("/dev/stripe/events").await, StatusCode::OK).await;
        let finalized = events["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "invoice.finalized")
            .count();
        assert_eq!(finalized, 1, "one Stripe invoice was finalized: {events}");
    }
);

scenario!(
    generation_takes_a_month_that_is_over_from_staff_only,
    |app| {
        app.sign_in_owner().await;
        app.set_clock("2024-06-15T12:00:00Z").await;
        for (period, field) in [
            ("2024-06", "period"),
            ("2024-13", "period"),
            ("May", "period"),
        ] {
            let refused = expect_json(
                app.post("/v1/billing/invoices/generate", &json!({"period": period}))
                    .await,
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert_eq!(
                refused["error"]["details"][0]["field"], field,
                "{period}: {refused}"
            );
        }
        let partner = billable_partner(app, "Acme", fifty_per_lead()).await;
        let (admin, _) = signed_in_user(app, Some(&partner), pc_http::Role::Admin).await;
        let forbidden = app
            .send(
                &admin,
                pc_tests::reqwest::Method::POST,
                "/v1/billing/invoices/generate",
                Some(&json!({"period": "2024-05"})),
            )
            .await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        let missing = app
            .get("/v1/billing/invoices/generate/01JDNOSUCHTASK000000000000")
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);

scenario!(manual_charges_and_credit_are_made_once_at_stripe, |app| {
    app.sign_in_owner().await;
    let partner = billable_partner(app, "Charged", fifty_per_lead()).await;
    let unbilled = pc_tests::leads_support::seed_partner(app, "Unbilled", &[]).await;
    let charge = |partner: &str, amount: f64| json!({"partnerId": partner, "amount": amount, "description": "Onboarding workshop"});
    let send = |body: serde_json::Value, key: &'static str| {
        app.client
            .post(app.url("/v1/billing/manual-charge"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = expect_json(
        send(charge(&partner, 300.0), "charge-0001").await.unwrap(),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(first["stripeStatus"], "Draft", "{first}");
    assert_eq!(first["invoiceType"], "manual");
    let again = expect_json(
        send(charge(&partner, 300.0), "charge-0001").await.unwrap(),
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(again["id"], first["id"]);
    let reused = expect_json(
        send(charge(&partner, 301.0), "charge-0001").await.unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");
    let unconfigured = expect_json(
        send(charge(&unbilled, 10.0), "charge-0002").await.unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(unconfigured["error"]["code"], "billing_not_configured");
    let bad = expect_json(
        send(charge(&partner, -1.0), "charge-0003").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "amount");
    app.drain().await;
    let id = first["id"].as_str().unwrap();
    let made = expect_json(
        app.get(&format!("/v1/billing/invoices/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(made["stripeStatus"], "Open", "{made}");
    assert_eq!(cents(&made), 30_000);
    assert_eq!(made["lines"].as_array().unwrap().len(), 1);

    // A $20.00 credit is used up by the next invoice: $150.00 billed, $130.00 due.
    let credit = app
        .post(
            "/v1/billing/add-credit",
            &json!({"partnerId": partner, "amount": 20, "description": "Goodwill"}),
        )
        .await;
    expect_json(credit, StatusCode::CREATED).await;
    for i in 0..3 {
        let email = format!("c{i}@buyer.test");
        lead_created(
            app,
            &partner,
            &email,
            "2024-05-20T10:00:00Z",
            DealStatus::New,
            None,
        )
        .await;
    }
    invoice_may(app).await;
    let monthly: Vec<_> = invoices_of(app, &partner)
        .await
        .into_iter()
        .filter(|i| i["invoiceType"] == "monthly")
        .collect();
    assert_eq!(monthly.len(), 1, "{monthly:?}");
    assert_eq!(cents(&monthly[0]), 15_000);
    assert_eq!(monthly[0]["amountDue"], json!(130.0), "{}", monthly[0]);
});
