//! Money integrity of a checkout: an abandoned payment never locks a
//! listing (it ends with its reservation, its intent canceled at Stripe);
//! cancelling during a checkout works; a payment that succeeds after its
//! reservation ended is refunded in full, never kept; a buyer who pays in
//! time still gets the lead.

use pc_platform::payments::fake::{FaultTiming, Operation};
use pc_tests::leads_support::PASSWORD;
use pc_tests::market_support::{
    Side, call, connected_seller, get_ok, listed_lead, listing_status, partner, purchase, reserve,
    stripe_intent,
};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// Starts the buyer's purchase of its reservation; answers the intent id.
async fn start_paying(app: &TestApp, buyer: &Side, reservation: &str) -> String {
    let started = expect_json(
        purchase(app, &buyer.admin, reservation).await,
        StatusCode::CREATED,
    )
    .await;
    started["paymentIntentId"].as_str().unwrap().to_owned()
}

async fn buyer_purchases(app: &TestApp, buyer: &Side) -> Vec<Value> {
    let page = get_ok(app, &buyer.admin, "/v1/marketplace/purchases").await;
    page["list"].as_array().cloned().unwrap_or_default()
}

async fn buyer_lead_count(app: &TestApp, buyer: &Side) -> i64 {
    let leads = get_ok(app, &buyer.admin, "/v1/leads").await;
    leads["meta"]["total"].as_i64().unwrap()
}

async fn sign_in_again(app: &TestApp, side: &Side) {
    let response = app
        .sign_in_as(&side.admin, &side.admin_email, PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn dev_intent(app: &TestApp, intent: &str, action: &str) -> StatusCode {
    app.post(
        &format!("/dev/stripe/payment-intents/{intent}/{action}"),
        &json!({}),
    )
    .await
    .status()
}

scenario!(
    an_abandoned_checkout_ends_with_its_reservation_and_frees_the_lead,
    |app| {
        app.set_clock("2030-01-15T17:00:00Z").await;
        let seller = connected_seller(app, "Abandoned Seller").await;
        let buyer = partner(app, "Abandoned Buyer").await;
        let lead = listed_lead(app, &seller, "abandoned@widget.example", 120).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let intent = start_paying(app, &buyer, &reservation).await;

        // Not due yet: the checkout stays open.
        let early = app.run_job("reservation-expiry").await;
        assert_eq!(early["counts"]["expired"], 0, "{early}");

        // Past the reservation's seven days, never confirmed.
        app.set_clock("2030-01-23T17:00:00Z").await;
        let run = app.run_job("reservation-expiry").await;
        assert_eq!(run["counts"]["expired"], 1, "{run}");
        app.drain().await;
        assert_eq!(stripe_intent(app, &intent).await["status"], "canceled");
        assert_eq!(
            dev_intent(app, &intent, "succeed").await,
            StatusCode::CONFLICT,
            "a canceled intent cannot be confirmed"
        );
        app.wait_for_mail(&buyer.admin_email, "expired").await;
        sign_in_again(app, &buyer).await;
        sign_in_again(app, &seller).await;
        assert_eq!(buyer_purchases(app, &buyer).await[0]["status"], "CANCELLED");
        assert_eq!(listing_status(app, &seller).await, "listed");
        // Anyone can reserve it again, the same buyer included.
        let other = partner(app, "Next Buyer").await;
        reserve(app, &other, &lead).await;
    }
);

scenario!(
    a_buyer_cancels_during_checkout_and_the_intent_is_canceled,
    |app| {
        let seller = connected_seller(app, "Cancel Seller").await;
        let buyer = partner(app, "Cancel Buyer").await;
        let lead = listed_lead(app, &seller, "cancel@widget.example", 80).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let intent = start_paying(app, &buyer, &reservation).await;

        let path = format!("/v1/marketplace/reservations/{reservation}");
        let cancelled = expect_json(
            call(app, &buyer.admin, Method::DELETE, &path, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(stripe_intent(app, &intent).await["status"], "canceled");
        assert_eq!(listing_status(app, &seller).await, "listed");
        assert_eq!(buyer_purchases(app, &buyer).await[0]["status"], "CANCELLED");
        // Paying for the ended reservation again is refused.
        let again = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(again["error"]["code"], "reservation_not_active");
        // The seller may take it back now.
        let unlist = format!("/v1/marketplace/leads/{lead}/list");
        expect_json(
            call(app, &seller.admin, Method::DELETE, &unlist, &json!({})).await,
            StatusCode::OK,
        )
        .await;
    }
);

scenario!(
    a_payment_that_succeeds_after_the_reservation_ended_is_refunded_in_full,
    |app| {
        let seller = connected_seller(app, "Late Seller").await;
        let buyer = partner(app, "Late Buyer").await;
        let lead = listed_lead(app, &seller, "late@widget.example", 150).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let intent = start_paying(app, &buyer, &reservation).await;
        // The card is declined: the reservation is the buyer's again.
        assert_eq!(dev_intent(app, &intent, "fail").await, StatusCode::OK);
        app.drain().await;

        // The buyer cancels while Stripe cannot be reached: the intent
        // stays confirmable, and the buyer confirms it anyway.
        let fake = app.server.context.payments.fake().unwrap();
        fake.inject_fault(Operation::CancelPaymentIntent, FaultTiming::Before);
        let path = format!("/v1/marketplace/reservations/{reservation}");
        expect_json(
            call(app, &buyer.admin, Method::DELETE, &path, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(dev_intent(app, &intent, "succeed").await, StatusCode::OK);
        app.drain().await;

        // Refunded in full, the seller's transfer and the fee taken back.
        let refunds = fake.objects_of_type("refund").await.unwrap();
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0]["amount"], 15_000);
        assert_eq!(refunds[0]["payment_intent"], intent.as_str());
        assert!(refunds[0]["transfer_reversal"].is_string());
        let charge = fake
            .object(
                stripe_intent(app, &intent).await["latest_charge"]
                    .as_str()
                    .unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(charge["refunded"], true);
        let bought = buyer_purchases(app, &buyer).await;
        assert_eq!(bought[0]["status"], "REFUNDED");
        assert!(
            bought[0]["refundReason"]
                .as_str()
                .unwrap()
                .contains("ended")
        );
        assert_eq!(bought[0]["boughtLeadId"], Value::Null);
        assert_eq!(buyer_lead_count(app, &buyer).await, 0, "no lead delivered");
        assert_eq!(listing_status(app, &seller).await, "listed");
        assert_eq!(mails_to(app, &buyer.admin_email, "refunded").await.len(), 1);

        // Stripe redelivers the success: nothing is refunded twice.
        let events = fake.sent_events().await.unwrap();
        let succeeded = events
            .iter()
            .find(|e| e.kind == "payment_intent.succeeded")
            .unwrap();
        let response = pc_tests::billing_support::post_webhook(
            app,
            &succeeded.body,
            succeeded.signature.as_deref(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        app.drain().await;
        assert_eq!(fake.objects_of_type("refund").await.unwrap().len(), 1);
        assert_eq!(mails_to(app, &buyer.admin_email, "refunded").await.len(), 1);
    }
);

scenario!(a_buyer_who_confirms_in_time_gets_the_lead, |app| {
    let seller = connected_seller(app, "Timely Seller").await;
    let buyer = partner(app, "Timely Buyer").await;
    let lead = listed_lead(app, &seller, "timely@widget.example", 60).await;
    let reservation = reserve(app, &buyer, &lead).await;
    let intent = start_paying(app, &buyer, &reservation).await;
    // The expiry job runs meanwhile: the checkout is not due.
    let run = app.run_job("reservation-expiry").await;
    assert_eq!(run["counts"]["expired"], 0, "{run}");
    assert_eq!(dev_intent(app, &intent, "succeed").await, StatusCode::OK);
    app.drain().await;
    assert_eq!(buyer_purchases(app, &buyer).await[0]["status"], "COMPLETED");
    assert_eq!(buyer_lead_count(app, &buyer).await, 1);
    assert_eq!(listing_status(app, &seller).await, "sold");
    let fake = app.server.context.payments.fake().unwrap();
    assert!(fake.objects_of_type("refund").await.unwrap().is_empty());
});
