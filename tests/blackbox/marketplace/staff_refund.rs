//! Staff settle a complaint about a completed purchase by refunding it:
//! the payment goes back in full (the seller's transfer reversed, the
//! platform's fee refunded), the buyer's copy of the lead is withdrawn,
//! the lead goes back on the market when asked, and the sales, fee-tier
//! and analytics counts lose the sale. Only platform staff may do it, and
//! only once.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{
    Side, buy, call, connected_seller, get_ok, listed_lead, listing_status, partner, purchase,
    reserve,
};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// The buyer buys `lead`; answers its purchase.
async fn bought(app: &TestApp, buyer: &Side, lead: &str) -> Value {
    buy(app, buyer, lead).await;
    let mine = get_ok(app, &buyer.admin, "/v1/marketplace/purchases").await;
    let purchase = mine["list"][0].clone();
    assert_eq!(purchase["status"], "COMPLETED", "{mine}");
    purchase
}

async fn refund(app: &TestApp, client: &Client, id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/v1/marketplace/purchases/{id}/refund");
    let response = call(app, client, Method::POST, &path, &body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// This month's totals of a partner's analytics (read by staff).
async fn month_totals(app: &TestApp, staff: &Client, partner_id: &str) -> Value {
    let month = pc_analytics::tally::month_of(app.server.context.clock.now());
    let path = format!("/v1/analytics/partner/{partner_id}?from={month}&to={month}");
    get_ok(app, staff, &path).await["totals"].clone()
}

async fn market_totals(app: &TestApp, owner: &Client) -> Value {
    let month = pc_analytics::tally::month_of(app.server.context.clock.now());
    let path = format!("/v1/analytics/marketplace?from={month}&to={month}");
    get_ok(app, owner, &path).await["totals"].clone()
}

scenario!(
    staff_refund_a_completed_purchase_in_full_and_withdraw_the_copy,
    |app| {
        let seller = connected_seller(app, "Refund Seller").await;
        let buyer = partner(app, "Refund Buyer").await;
        let lead = listed_lead(app, &seller, "refund@widget.example", 150).await;
        let purchase = bought(app, &buyer, &lead).await;
        let id = purchase["id"].as_str().unwrap();
        let copy = purchase["boughtLeadId"].as_str().unwrap().to_owned();
        let copy_path = format!("/v1/leads/{copy}");
        get_ok(app, &buyer.admin, &copy_path).await;
        // The buyer works the lead: a note on its copy.
        let note = format!("/v1/leads/{copy}/notes");
        let noted = call(
            app,
            &buyer.admin,
            Method::POST,
            &note,
            &json!({"text": "called"}),
        )
        .await;
        assert!(noted.status().is_success(), "{}", noted.status());
        app.sign_in_owner().await;
        let staff = &app.client;
        assert_eq!(
            month_totals(app, staff, &seller.partner_id).await["sales"],
            1
        );
        assert_eq!(market_totals(app, staff).await["sales"], 1);

        let (status, refunded) = refund(
            app,
            staff,
            id,
            json!({"reason": "The contact's phone number was not theirs", "relist": true}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{refunded}");
        assert_eq!(refunded["status"], "REFUNDED");
        assert_eq!(
            refunded["refundReason"],
            "The contact's phone number was not theirs"
        );
        app.drain().await;

        // Stripe: one full refund, the transfer reversed and the fee refunded.
        let fake = app.server.context.payments.fake().unwrap();
        let refunds = fake.objects_of_type("refund").await.unwrap();
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0]["amount"], 15_000);
        assert_eq!(refunds[0]["payment_intent"], purchase["paymentIntentId"]);
        assert!(refunds[0]["transfer_reversal"].is_string(), "{refunds:?}");
        let fee_refunds = fake.objects_of_type("fee_refund").await.unwrap();
        assert_eq!(fee_refunds.len(), 1, "{fee_refunds:?}");
        assert_eq!(fee_refunds[0]["amount"], 3_000);

        // The buyer's copy is gone, and with it its count and its email.
        let gone = call(app, &buyer.admin, Method::GET, &copy_path, &json!({})).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        let leads = get_ok(app, &buyer.admin, "/v1/leads").await;
        assert_eq!(leads["meta"]["total"], 0, "{leads}");
        let search = get_ok(
            app,
            &buyer.admin,
            "/v1/leads?search=refund%40widget.example",
        )
        .await;
        assert_eq!(search["list"].as_array().unwrap().len(), 0, "{search}");
        assert_eq!(mails_to(app, &buyer.admin_email, "refunded").await.len(), 1);
        let mine = get_ok(app, &buyer.admin, "/v1/marketplace/purchases").await;
        assert_eq!(mine["list"][0]["status"], "REFUNDED");

        // The counts lose the sale.
        let sold = month_totals(app, staff, &seller.partner_id).await;
        assert_eq!(sold["sales"], 0, "{sold}");
        assert_eq!(sold["salesCents"], 0);
        let bought = month_totals(app, staff, &buyer.partner_id).await;
        assert_eq!(bought["purchases"], 0, "{bought}");
        assert_eq!(bought["leadsCreated"], 0, "the copy is withdrawn");
        let market = market_totals(app, staff).await;
        assert_eq!(market["sales"], 0, "{market}");
        assert_eq!(market["volumeCents"], 0);
        assert_eq!(market["platformFeeCents"], 0);
        let sales = pc_marketplace::purchases_store::sales_in_month(
            &*app.server.context.store,
            &seller.partner_id,
            &pc_marketplace::purchases_store::sales_month(app.server.context.clock.now()),
        )
        .await
        .unwrap();
        assert_eq!(sales, 0, "the fee tier's count");

        // Relisted: another partner can reserve it.
        assert_eq!(listing_status(app, &seller).await, "listed");
        let next = partner(app, "Next Buyer").await;
        reserve(app, &next, &lead).await;

        // Audited.
        let events = get_ok(
            app,
            staff,
            &format!("/v1/events?entity=purchase&entityId={id}"),
        )
        .await;
        let list = events["list"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{events}");
        assert_eq!(list[0]["action"], "refunded");

        // A second refund is refused, and Stripe refunds nothing more.
        let (status, again) = refund(app, staff, id, json!({"reason": "again"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert_eq!(again["error"]["code"], "already_refunded");
        assert_eq!(fake.objects_of_type("refund").await.unwrap().len(), 1);
    }
);

scenario!(only_staff_refund_and_only_a_completed_purchase, |app| {
    let seller = connected_seller(app, "Guarded Seller").await;
    let buyer = partner(app, "Guarded Buyer").await;
    let lead = listed_lead(app, &seller, "guarded@widget.example", 90).await;
    let sale = bought(app, &buyer, &lead).await;
    let id = sale["id"].as_str().unwrap();
    let body = json!({"reason": "I changed my mind"});

    // Neither side's admin may refund it.
    for side in [&buyer, &seller] {
        let (status, answer) = refund(app, &side.admin, id, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    }
    let fake = app.server.context.payments.fake().unwrap();
    assert!(fake.objects_of_type("refund").await.unwrap().is_empty());

    // A platform admin (no partner) may; a reason is required.
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let (status, answer) = refund(app, &staff, id, json!({"relist": false})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = refund(app, &staff, "nope", body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");

    // Concurrent refunds refund once.
    let (a, b) = tokio::join!(
        refund(app, &staff, id, body.clone()),
        refund(app, &staff, id, body.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    assert_eq!(fake.objects_of_type("refund").await.unwrap().len(), 1);
    // Not relisted: the seller's lead is delisted, and its seller may list it again.
    assert_eq!(listing_status(app, &seller).await, "delisted");

    // A purchase not completed cannot be refunded.
    let other = listed_lead(app, &seller, "pending@widget.example", 90).await;
    let reservation = reserve(app, &buyer, &other).await;
    expect_json(
        purchase(app, &buyer.admin, &reservation).await,
        StatusCode::CREATED,
    )
    .await;
    let (status, answer) = refund(app, &staff, &reservation, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "purchase_not_completed");
});
