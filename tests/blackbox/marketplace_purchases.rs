//! Black-box scenarios of marketplace purchases: a buyer holding a
//! reservation pays through a Stripe PaymentIntent (fee kept, the rest to
//! the seller's connected account); Stripe's `payment_intent.succeeded`
//! through the webhook gives the buyer an unmasked copy and sells the
//! seller's lead; a double click makes one intent; paying again is
//! impossible; a failed payment frees the reservation back to the buyer;
//! the fee drops to 15% past 100 sales in the month; tenancy.

use pc_http::identity::Role;
use pc_marketplace::purchases_store::{count_sale, sales_month};
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{
    call, connected_seller, get_ok, listed_lead, partner, purchase, reserve, stripe_intent,
};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn purchases(app: &TestApp, client: &pc_tests::reqwest::Client, role: &str) -> Vec<Value> {
    let path = format!("/v1/marketplace/purchases?role={role}");
    let page = expect_json(
        call(app, client, Method::GET, &path, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    page["list"].as_array().cloned().unwrap_or_default()
}

async fn dev(app: &TestApp, path: &str) {
    expect_json(app.post(path, &json!({})).await, StatusCode::OK).await;
}

scenario!(
    a_paid_purchase_gives_the_buyer_the_lead_and_sells_the_sellers,
    |app| {
        let seller = connected_seller(app, "Seller").await;
        let buyer = partner(app, "Buyer").await;
        let lead = listed_lead(app, &seller, "jane@widget.example", 100).await;
        let reservation = reserve(app, &buyer, &lead).await;

        // A double click: one purchase, one intent.
        let (first, second) = tokio::join!(
            purchase(app, &buyer.admin, &reservation),
            purchase(app, &buyer.admin, &reservation)
        );
        let mut answers = Vec::new();
        for response in [first, second] {
            let status = response.status();
            assert!(
                matches!(status, StatusCode::CREATED | StatusCode::OK),
                "{status}"
            );
            answers.push(response.json::<Value>().await.unwrap());
        }
        assert_eq!(answers[0], answers[1]);
        let started = &answers[0];
        assert_eq!(started["id"], reservation.as_str());
        assert_eq!(started["status"], "PENDING");
        let intent_id = started["paymentIntentId"].as_str().unwrap().to_owned();
        assert!(
            started["clientSecret"]
                .as_str()
                .unwrap()
                .starts_with(&intent_id)
        );
        let fake = app.server.context.payments.fake().unwrap();
        assert_eq!(
            fake.objects_of_type("payment_intent").await.unwrap().len(),
            1
        );
        let intent = stripe_intent(app, &intent_id).await;
        assert_eq!(intent["amount"], 10_000);
        assert_eq!(intent["application_fee_amount"], 2_000);
        let seller_account = fake.objects_of_type("account").await.unwrap()[0]["id"].clone();
        assert_eq!(intent["transfer_data"]["destination"], seller_account);

        dev(
            app,
            &format!("/dev/stripe/payment-intents/{intent_id}/succeed"),
        )
        .await;
        app.drain().await;

        let bought = purchases(app, &buyer.admin, "buyer").await;
        assert_eq!(bought.len(), 1);
        assert_eq!(bought[0]["status"], "COMPLETED");
        assert_eq!(bought[0]["feeCents"], 2_000);
        let copy_id = bought[0]["boughtLeadId"].as_str().unwrap().to_owned();
        let copy = get_ok(app, &buyer.admin, &format!("/v1/leads/{copy_id}")).await;
        assert_eq!(copy["email"], "jane@widget.example");
        assert_eq!(copy["phone"], "+1 (555) 010-1234");
        assert_eq!(copy["firstName"], "Jane");
        assert_eq!(copy["source"], "marketplace");
        assert_eq!(copy["partnerId"], buyer.partner_id.as_str());

        let sold = purchases(app, &seller.admin, "seller").await;
        assert_eq!(sold.len(), 1);
        assert_eq!(sold[0]["id"], reservation.as_str());
        assert_eq!(
            sold[0]["boughtLeadId"],
            Value::Null,
            "the buyer's copy is the buyer's"
        );
        let listings = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
        assert_eq!(listings["list"][0]["marketplaceStatus"], "sold");
        assert!(purchases(app, &seller.admin, "buyer").await.is_empty());

        // Paying again is impossible: the purchase, the reservation and the
        // listing are all past it; a replayed success changes nothing.
        let again = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(again["error"]["code"], "already_purchased");
        let succeeded = fake.sent_events().await.unwrap();
        let event = succeeded
            .iter()
            .rev()
            .find(|e| e.kind == "payment_intent.succeeded")
            .unwrap();
        let response =
            pc_tests::billing_support::post_webhook(app, &event.body, event.signature.as_deref())
                .await;
        assert_eq!(response.status(), StatusCode::OK);
        app.drain().await;
        assert_eq!(purchases(app, &buyer.admin, "buyer").await.len(), 1);
        let leads = get_ok(app, &buyer.admin, "/v1/leads").await;
        assert_eq!(
            leads["meta"]["total"], 1,
            "one copy, however often Stripe tells"
        );

        assert_eq!(
            mails_to(app, &buyer.admin_email, "Purchase confirmed")
                .await
                .len(),
            1
        );
        assert_eq!(
            mails_to(app, &seller.admin_email, "Lead sold").await.len(),
            1
        );
    }
);

scenario!(
    past_a_hundred_sales_this_month_the_fee_is_fifteen_percent,
    |app| {
        let seller = connected_seller(app, "Volume Seller").await;
        let buyer = partner(app, "Volume Buyer").await;
        let ctx = &app.server.context;
        let month = sales_month(ctx.clock.now());
        // 101 sales this month, as 101 completed purchases would leave it.
        for _ in 0..101 {
            ctx.store
                .transact(vec![count_sale(&seller.partner_id, &month)])
                .await
                .unwrap();
        }
        let lead = listed_lead(app, &seller, "volume@widget.example", 250).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let started = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CREATED,
        )
        .await;
        let intent = stripe_intent(app, started["paymentIntentId"].as_str().unwrap()).await;
        assert_eq!(intent["amount"], 25_000);
        assert_eq!(intent["application_fee_amount"], 3_750);
        let bought = purchases(app, &buyer.admin, "buyer").await;
        assert_eq!(bought[0]["feePercent"], 15);
    }
);

scenario!(
    a_failed_payment_gives_the_reservation_back_to_the_buyer,
    |app| {
        let seller = connected_seller(app, "Fail Seller").await;
        let buyer = partner(app, "Fail Buyer").await;
        let lead = listed_lead(app, &seller, "fail@widget.example", 40).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let started = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CREATED,
        )
        .await;
        let intent_id = started["paymentIntentId"].as_str().unwrap().to_owned();

        dev(
            app,
            &format!("/dev/stripe/payment-intents/{intent_id}/fail"),
        )
        .await;
        app.drain().await;
        let failed = purchases(app, &buyer.admin, "buyer").await;
        assert_eq!(failed[0]["status"], "FAILED");
        let reservations = get_ok(app, &buyer.admin, "/v1/marketplace/reservations").await;
        assert_eq!(reservations["list"][0]["status"], "active");

        // The buyer pays again within its window: the same intent.
        let retried = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(retried["status"], "PENDING");
        assert_eq!(retried["paymentIntentId"], intent_id.as_str());
        dev(
            app,
            &format!("/dev/stripe/payment-intents/{intent_id}/succeed"),
        )
        .await;
        app.drain().await;
        assert_eq!(
            purchases(app, &buyer.admin, "buyer").await[0]["status"],
            "COMPLETED"
        );
    }
);

scenario!(
    only_the_reserving_buyers_admins_pay_and_each_side_sees_its_own,
    |app| {
        let seller = connected_seller(app, "Tenant Seller").await;
        let buyer = partner(app, "Tenant Buyer").await;
        let stranger = partner(app, "Stranger").await;
        let lead = listed_lead(app, &seller, "tenant@widget.example", 10).await;
        let reservation = reserve(app, &buyer, &lead).await;

        let other = expect_json(
            purchase(app, &stranger.admin, &reservation).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(other["error"]["code"], "not_found");
        let own_seller = purchase(app, &seller.admin, &reservation).await;
        assert_eq!(own_seller.status(), StatusCode::NOT_FOUND);
        let (member, _) = signed_in_user(app, Some(&buyer.partner_id), Role::User).await;
        assert_eq!(
            purchase(app, &member, &reservation).await.status(),
            StatusCode::FORBIDDEN
        );
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;
        assert_eq!(
            purchase(app, &staff, &reservation).await.status(),
            StatusCode::FORBIDDEN
        );
        let bad = expect_json(
            call(
                app,
                &buyer.admin,
                Method::POST,
                "/v1/marketplace/purchases",
                &json!({"reservationId": ""}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["code"], "validation_failed");
        let wrong_role = call(
            app,
            &buyer.admin,
            Method::GET,
            "/v1/marketplace/purchases?role=owner",
            &json!({}),
        )
        .await;
        assert_eq!(wrong_role.status(), StatusCode::BAD_REQUEST);

        expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CREATED,
        )
        .await;
        assert!(purchases(app, &stranger.admin, "buyer").await.is_empty());
        assert!(purchases(app, &stranger.admin, "seller").await.is_empty());
        assert_eq!(purchases(app, &seller.admin, "seller").await.len(), 1);
    }
);
