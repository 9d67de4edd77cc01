//! Money integrity of a listing: a buyer holds at most a few open
//! reservations however many it sends at once; a reservation never locks a
//! price the seller changed meanwhile; relisting does not email matching
//! partners over and over; the buyer receives the lead as it was when
//! reserved, whatever the seller changes during the sale.

use pc_tests::market_support::{
    Side, call, connected_seller, get_ok, listed_lead, partner, purchase, reserve,
};
use pc_tests::marketplace_support::{SOFTWARE_ICP, agency};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn try_reserve(app: &TestApp, buyer: &Side, lead: &str) -> (StatusCode, Value) {
    let path = format!("/v1/marketplace/leads/{lead}/reserve");
    let response = call(app, &buyer.admin, Method::POST, &path, &json!({"days": 7})).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The listing price of `lead` in cents, as its seller sees it.
async fn listing_price(app: &TestApp, seller: &Side, lead: &str) -> i64 {
    let mine = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    mine["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["leadId"] == lead)
        .and_then(|l| l["listingPriceCents"].as_i64())
        .unwrap()
}

scenario!(
    a_buyer_holds_at_most_five_open_reservations_even_all_at_once,
    |app| {
        let seller = connected_seller(app, "Hoard Seller").await;
        let hoarder = partner(app, "Hoarder").await;
        let mut leads = Vec::new();
        for n in 0..8 {
            leads.push(listed_lead(app, &seller, &format!("hoard{n}@widget.example"), 10).await);
        }
        let answers =
            futures::future::join_all(leads.iter().map(|l| try_reserve(app, &hoarder, l))).await;
        let won: Vec<&(StatusCode, Value)> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .collect();
        assert_eq!(won.len(), 5, "{answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            assert_eq!(*status, StatusCode::CONFLICT);
            assert_eq!(body["error"]["code"], "too_many_reservations", "{body}");
        }
        // Letting one go makes room for one more.
        let first = won[0].1["id"].as_str().unwrap();
        let path = format!("/v1/marketplace/reservations/{first}");
        expect_json(
            call(app, &hoarder.admin, Method::DELETE, &path, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        let free: Vec<&String> = leads
            .iter()
            .filter(|l| !won.iter().any(|(_, b)| b["leadId"] == l.as_str()))
            .collect();
        assert_eq!(
            try_reserve(app, &hoarder, free[0]).await.0,
            StatusCode::CREATED
        );
        assert_eq!(
            try_reserve(app, &hoarder, free[1]).await.0,
            StatusCode::CONFLICT
        );
        // Another buyer is not limited by this one.
        let other = partner(app, "Other Buyer").await;
        assert_eq!(
            try_reserve(app, &other, free[1]).await.0,
            StatusCode::CREATED
        );
    }
);

scenario!(
    a_reservation_never_locks_a_price_the_seller_changed,
    |app| {
        let seller = connected_seller(app, "Reprice Seller").await;
        for round in 0..6 {
            let buyer = partner(app, &format!("Reprice Buyer {round}")).await;
            let lead =
                listed_lead(app, &seller, &format!("reprice{round}@widget.example"), 100).await;
            let list = format!("/v1/marketplace/leads/{lead}/list");
            let new_price = json!({"price": 900});
            let (reserved, repriced) = tokio::join!(
                try_reserve(app, &buyer, &lead),
                call(app, &seller.admin, Method::POST, &list, &new_price)
            );
            let repriced = repriced.status();
            let (status, body) = reserved;
            let price = listing_price(app, &seller, &lead).await;
            if status == StatusCode::CREATED {
                // Whichever came first, the reservation holds the price
                // the listing has: a re-price after it was refused.
                assert_eq!(body["priceCents"], price, "round {round}: {body}");
                if repriced == StatusCode::OK {
                    assert_eq!(price, 90_000, "round {round}");
                }
            } else {
                // Re-priced between the reservation's read and its write:
                // refused as stale, never reserved at the old price.
                assert_eq!(repriced, StatusCode::OK, "round {round}");
                assert_eq!(status, StatusCode::CONFLICT, "round {round}: {body}");
                assert_eq!(body["error"]["code"], "stale_listing", "{body}");
                let (again, held) = try_reserve(app, &buyer, &lead).await;
                assert_eq!(again, StatusCode::CREATED, "{held}");
                assert_eq!(held["priceCents"], 90_000);
            }
        }
        // Counted views do not make a reservation stale.
        let viewer = partner(app, "Viewer").await;
        let buyer = partner(app, "Calm Buyer").await;
        let lead = listed_lead(app, &seller, "viewed@widget.example", 100).await;
        let detail = format!("/v1/marketplace/leads/{lead}");
        let no_body = json!({});
        let (_, reserved) = tokio::join!(
            call(app, &viewer.admin, Method::GET, &detail, &no_body),
            try_reserve(app, &buyer, &lead)
        );
        assert_eq!(reserved.0, StatusCode::CREATED, "{}", reserved.1);
    }
);

scenario!(
    relisting_a_lead_does_not_email_matching_partners_again_within_a_day,
    |app| {
        app.set_clock("2030-03-02T12:00:00Z").await;
        let seller = connected_seller(app, "Relist Seller").await;
        let watcher = agency(app, "Watcher", SOFTWARE_ICP).await;
        let lead = listed_lead(app, &seller, "relist@widget.example", 50).await;
        app.drain().await;
        app.wait_for_mail(&watcher.admin_email, "matches your profile")
            .await;
        let list = format!("/v1/marketplace/leads/{lead}/list");
        for _ in 0..3 {
            expect_json(
                call(app, &seller.admin, Method::DELETE, &list, &json!({})).await,
                StatusCode::OK,
            )
            .await;
            expect_json(
                call(
                    app,
                    &seller.admin,
                    Method::POST,
                    &list,
                    &json!({"price": 50}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
        }
        app.drain().await;
        assert_eq!(
            mails_to(app, &watcher.admin_email, "matches your profile")
                .await
                .len(),
            1,
            "one notice however often it is relisted"
        );
        // A day later a relisting is news again.
        app.set_clock("2030-03-03T12:30:00Z").await;
        let seller_again = app
            .sign_in_as(
                &seller.admin,
                &seller.admin_email,
                pc_tests::leads_support::PASSWORD,
            )
            .await;
        assert_eq!(seller_again.status(), StatusCode::OK);
        expect_json(
            call(app, &seller.admin, Method::DELETE, &list, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        expect_json(
            call(
                app,
                &seller.admin,
                Method::POST,
                &list,
                &json!({"price": 50}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        app.drain().await;
        assert_eq!(
            mails_to(app, &watcher.admin_email, "matches your profile")
                .await
                .len(),
            2
        );
    }
);

scenario!(the_buyer_receives_the_lead_as_it_was_when_reserved, |app| {
    let seller = connected_seller(app, "Swap Seller").await;
    let buyer = partner(app, "Swap Buyer").await;
    let lead = listed_lead(app, &seller, "original@widget.example", 70).await;
    let reservation = reserve(app, &buyer, &lead).await;
    // The seller swaps the contact during the sale.
    let swapped = json!({
        "email": "decoy@widget.example", "phone": "+1 (555) 000-0000",
        "lastName": "Decoy", "company": "Nothing Inc",
    });
    let edit = call(
        app,
        &seller.admin,
        Method::PATCH,
        &format!("/v1/leads/{lead}"),
        &swapped,
    )
    .await;
    assert!(
        matches!(edit.status(), StatusCode::OK | StatusCode::CONFLICT),
        "{}",
        edit.status()
    );
    let started = expect_json(
        purchase(app, &buyer.admin, &reservation).await,
        StatusCode::CREATED,
    )
    .await;
    let intent = started["paymentIntentId"].as_str().unwrap();
    app.post(
        &format!("/dev/stripe/payment-intents/{intent}/succeed"),
        &json!({}),
    )
    .await;
    app.drain().await;
    let bought = get_ok(app, &buyer.admin, "/v1/marketplace/purchases").await;
    assert_eq!(bought["list"][0]["status"], "COMPLETED");
    let copy_id = bought["list"][0]["boughtLeadId"].as_str().unwrap();
    let copy = get_ok(app, &buyer.admin, &format!("/v1/leads/{copy_id}")).await;
    assert_eq!(copy["email"], "original@widget.example");
    assert_eq!(copy["phone"], "+1 (555) 010-1234");
    assert_eq!(copy["lastName"], "Buyable");
    assert_eq!(copy["company"], "Widget Works");
});
