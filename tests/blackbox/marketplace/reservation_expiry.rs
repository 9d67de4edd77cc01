//! An expired reservation relists the lead and emails the buyer.

use pc_marketplace::keys::reservation_key;
use pc_marketplace::reservations_store::mark_purchasing_item;
use pc_tests::marketplace_support::{
    SOFTWARE_ICP, agency, browse, call, connect, ids, list, reserve, sign_in_again, software_lead,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

scenario!(
    an_expired_reservation_relists_the_lead_and_emails_the_buyer,
    |app| {
        app.set_clock("2030-01-15T17:00:00Z").await;
        let seller = agency(app, "Seller Agency", &[]).await;
        let buyer = agency(app, "Buyer Agency", SOFTWARE_ICP).await;
        let payer = agency(app, "Paying Agency", SOFTWARE_ICP).await;
        connect(app, &seller.id, true).await;
        let lapsing = software_lead(app, &seller.id, "lapse@example.com").await;
        let paying = software_lead(app, &seller.id, "paying@example.com").await;
        list(app, &seller, &lapsing, 100.0).await;
        list(app, &seller, &paying, 100.0).await;
        let held = expect_json(
            reserve(app, &buyer.admin, &lapsing, json!(7)).await,
            StatusCode::CREATED,
        )
        .await;
        let paid = expect_json(
            reserve(app, &payer.admin, &paying, json!(7)).await,
            StatusCode::CREATED,
        )
        .await;
        // A payment begun and never confirmed ends with its reservation too.
        let ctx = &app.server.context;
        let paid_id = paid["id"].as_str().unwrap();
        ctx.store
            .transact(vec![mark_purchasing_item(paid_id, ctx.clock.now())])
            .await
            .unwrap();

        // Not yet due: nothing happens.
        let early = app.run_job("reservation-expiry").await;
        assert_eq!(early["counts"]["expired"], 0, "{early}");

        // A day past the seven (the clock runs on from where it was set).
        // The dev server's scheduler fires the due run by itself when the
        // clock jumps; the drain runs it or waits for it, so which of the
        // two expires the reservations is not a race the test can lose.
        app.set_clock("2030-01-23T17:00:00Z").await;
        app.drain().await;
        let again = app.run_job("reservation-expiry").await;
        assert_eq!(again["status"], "completed", "{again}");
        assert_eq!(again["counts"]["expired"], 0, "{again}");
        assert_eq!(again["counts"]["skipped"], 0, "{again}");
        app.wait_for_mail(&buyer.admin_email, "expired").await;

        sign_in_again(app, &buyer).await;
        let mine = expect_json(
            call(
                app,
                &buyer.admin,
                Method::GET,
                "/v1/marketplace/reservations",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(mine["list"][0]["id"], held["id"]);
        assert_eq!(mine["list"][0]["status"], "expired");
        // Both leads are listed again.
        let mut listed = ids(&browse(app, &buyer.admin, "").await);
        listed.sort();
        let mut both = vec![lapsing.clone(), paying.clone()];
        both.sort();
        assert_eq!(listed, both);
        let stored = ctx
            .store
            .get(&reservation_key(paid_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored["status"], "expired");
        // An expired reservation can no longer be extended or cancelled.
        let id = held["id"].as_str().unwrap();
        let extend = format!("/v1/marketplace/reservations/{id}/extend");
        let refused = expect_json(
            call(
                app,
                &buyer.admin,
                Method::PATCH,
                &extend,
                Some(json!({"days": 2})),
            )
            .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(refused["error"]["code"], "reservation_not_active");
    }
);
