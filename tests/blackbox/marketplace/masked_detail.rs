//! The detail view gives nothing away: any signed-in partner user opening
//! a listed lead sees its email and phone masked and no person's name, and
//! the view still counts; only the buyer's copy, once paid, has them.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{
    call, connected_seller, get_ok, listed_lead, partner, purchase, reserve,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

const EMAIL: &str = "jane@widget.example";

scenario!(
    the_detail_view_keeps_the_contact_masked_for_every_viewer,
    |app| {
        let seller = connected_seller(app, "Masked Seller").await;
        let buyer = partner(app, "Masked Buyer").await;
        let lead = listed_lead(app, &seller, EMAIL, 100).await;
        let (member, _) = signed_in_user(app, Some(&buyer.partner_id), Role::User).await;
        let onlooker = partner(app, "Onlooker").await;
        let path = format!("/v1/marketplace/leads/{lead}");

        for (n, viewer) in [&member, &onlooker.admin].into_iter().enumerate() {
            let response = call(app, viewer, Method::GET, &path, &json!({})).await;
            assert_eq!(response.status(), StatusCode::OK);
            let body = response.text().await.unwrap();
            for secret in [EMAIL, "010-1234", "Buyable", "Jane"] {
                assert!(!body.contains(secret), "{secret} leaked: {body}");
            }
            let detail: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(detail["email"], "j***@widget.example");
            assert_eq!(detail["phone"], "+1 (555) ***-1234");
            assert_eq!(detail["company"], "Widget Works");
            assert_eq!(detail["website"], "https://widget.example");
            // The view counts (one per partner).
            assert_eq!(detail["viewCount"], n as i64 + 1);
        }
    }
);

scenario!(
    the_buyer_who_pays_gets_the_whole_contact_in_its_copy,
    |app| {
        let seller = connected_seller(app, "Paid Seller").await;
        let buyer = partner(app, "Paid Buyer").await;
        let lead = listed_lead(app, &seller, EMAIL, 100).await;
        let reservation = reserve(app, &buyer, &lead).await;
        // Reserved: the buyer's detail is still masked.
        let path = format!("/v1/marketplace/leads/{lead}");
        let held = get_ok(app, &buyer.admin, &path).await;
        assert_eq!(held["email"], "j***@widget.example");

        let started = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CREATED,
        )
        .await;
        let intent = started["paymentIntentId"].as_str().unwrap();
        expect_json(
            app.post(
                &format!("/dev/stripe/payment-intents/{intent}/succeed"),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        app.drain().await;
        let bought = get_ok(app, &buyer.admin, "/v1/marketplace/purchases").await;
        let copy_id = bought["list"][0]["boughtLeadId"].as_str().unwrap();
        let copy = get_ok(app, &buyer.admin, &format!("/v1/leads/{copy_id}")).await;
        assert_eq!(copy["email"], EMAIL);
        assert_eq!(copy["phone"], "+1 (555) 010-1234");
        assert_eq!(copy["lastName"], "Buyable");
    }
);
