//! Black-box scenarios of the marketplace: a seller lists a lead, another
//! partner browses it masked and scored against its ICP, opens it unmasked
//! (one view per partner), and of fifty concurrent reservations exactly one
//! wins; extensions, cancellations and expiry put it back on the market;
//! every endpoint keeps partners apart.

use futures::future::join_all;
use pc_api::identity::Role;
use pc_marketplace::reservations_store::{mark_purchasing_item, reservation_key};
use pc_tests::leads_support::signed_in_user;
use pc_tests::marketplace_support::{
    SOFTWARE_ICP, agency, browse, call, connect, ids, list, reserve, sign_in_again, software_lead,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

scenario!(
    a_listed_lead_is_browsed_masked_and_opened_unmasked_once_per_partner,
    |app| {
        let seller = agency(app, "Seller Agency", &[]).await;
        let buyer = agency(app, "Buyer Agency", SOFTWARE_ICP).await;
        let other = agency(app, "Other Agency", &[("industry", "Retail")]).await;
        connect(app, &seller.id, true).await;
        let lead = software_lead(app, &seller.id, "jane@example.com").await;

        let listing = list(app, &seller, &lead, 250.5).await;
        assert_eq!(listing["marketplaceStatus"], "listed");
        assert_eq!(listing["listingPriceCents"], 25_050);
        assert_eq!(listing["listingPrice"], 250.5);

        // The buyer sees it masked, with its match and why; no person's name.
        let page = browse(app, &buyer.admin, "").await;
        assert_eq!(ids(&page), [lead.as_str()]);
        let row = &page["list"][0];
        assert_eq!(row["email"], "j***@example.com");
        assert_eq!(row["phone"], "+1 (555) ***-1234");
        assert_eq!(row["icpMatch"], 100);
        assert_eq!(row["matchReasons"][0], "industry matches");
        assert_eq!(row["matchReasons"][1], "company size 51–200 within 11–200");
        for hidden in ["firstName", "lastName", "notes", "website"] {
            assert!(
                row.get(hidden).is_none_or(|v| v.is_null()),
                "{hidden}: {row}"
            );
        }
        assert_eq!(page["meta"]["total"], 1);
        // The seller does not see its own listing; a poor match is filtered out.
        assert_eq!(browse(app, &seller.admin, "").await["meta"]["total"], 0);
        let other_page = browse(app, &other.admin, "").await;
        assert_eq!(other_page["list"][0]["icpMatch"], 0);
        assert_eq!(
            browse(app, &other.admin, "?minMatch=70").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?minMatch=70&industry=software").await["meta"]["total"],
            1
        );
        assert_eq!(
            browse(app, &buyer.admin, "?industry=retail").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?maxPrice=200").await["meta"]["total"],
            0
        );
        assert_eq!(
            browse(app, &buyer.admin, "?minPrice=200&country=us").await["meta"]["total"],
            1
        );
        let bad = call(
            app,
            &buyer.admin,
            Method::GET,
            "/v1/marketplace/leads?minMatch=abc",
            None,
        )
        .await;
        expect_json(bad, StatusCode::BAD_REQUEST).await;

        // The detail is unmasked; the view counts once per partner.
        let detail_path = format!("/v1/marketplace/leads/{lead}");
        for _ in 0..3 {
            let detail = expect_json(
                call(app, &buyer.admin, Method::GET, &detail_path, None).await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(detail["email"], "jane@example.com");
            assert_eq!(detail["phone"], "+1 (555) 123-1234");
            assert_eq!(detail["viewCount"], 1);
            assert!(detail.get("notes").is_none() && detail.get("firstName").is_none());
        }
        let seen = expect_json(
            call(app, &other.admin, Method::GET, &detail_path, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(seen["viewCount"], 2);
        let mine = expect_json(
            call(
                app,
                &seller.admin,
                Method::GET,
                "/v1/marketplace/my-listings",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(mine["list"][0]["viewCount"], 2);
        let mut viewers: Vec<String> =
            serde_json::from_value(mine["list"][0]["viewedBy"].clone()).unwrap();
        viewers.sort();
        let mut expected = vec![buyer.id.clone(), other.id.clone()];
        expected.sort();
        assert_eq!(viewers, expected);

        // The partner whose ICP matches is emailed; the other is not.
        app.drain().await;
        app.wait_for_mail(&buyer.admin_email, "matches your profile")
            .await;
        let mails = app.mailbox().await;
        assert!(!mails.iter().any(|m| m["to"] == other.admin_email.as_str()));

        // Taken off the market, it is gone from browsing and its detail.
        let unlist = format!("/v1/marketplace/leads/{lead}/list");
        let delisted = expect_json(
            call(app, &seller.admin, Method::DELETE, &unlist, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(delisted["marketplaceStatus"], "delisted");
        assert_eq!(browse(app, &buyer.admin, "").await["meta"]["total"], 0);
        expect_json(
            call(app, &buyer.admin, Method::GET, &detail_path, None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let again = expect_json(
            call(app, &seller.admin, Method::DELETE, &unlist, None).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(again["error"]["code"], "lead_not_available");
    }
);

scenario!(listing_checks_price_connect_role_and_owner, |app| {
    let seller = agency(app, "Seller Agency", &[]).await;
    let rival = agency(app, "Rival Agency", &[]).await;
    let lead = software_lead(app, &seller.id, "max@example.com").await;
    let path = format!("/v1/marketplace/leads/{lead}/list");

    // Without a Stripe account that takes charges, nothing can be listed.
    let refused = expect_json(
        call(
            app,
            &seller.admin,
            Method::POST,
            &path,
            Some(json!({"price": 100})),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(refused["error"]["code"], "stripe_connect_not_enabled");
    connect(app, &seller.id, false).await;
    expect_json(
        call(
            app,
            &seller.admin,
            Method::POST,
            &path,
            Some(json!({"price": 100})),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    connect(app, &seller.id, true).await;

    for price in [
        json!(9.99),
        json!(10_000.01),
        json!(-5),
        json!(12.345),
        json!("100"),
    ] {
        let bad = call(
            app,
            &seller.admin,
            Method::POST,
            &path,
            Some(json!({"price": price})),
        )
        .await;
        assert!(bad.status().is_client_error(), "{price}");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{price}");
    }
    for price in [10, 10_000] {
        let ok = list(app, &seller, &lead, f64::from(price)).await;
        assert_eq!(ok["listingPriceCents"], price * 100);
    }
    // Another partner's lead does not exist for the rival; a plain user may not list.
    connect(app, &rival.id, true).await;
    expect_json(
        call(
            app,
            &rival.admin,
            Method::POST,
            &path,
            Some(json!({"price": 100})),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        call(app, &rival.admin, Method::DELETE, &path, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let (user, _) = signed_in_user(app, Some(&seller.id), Role::User).await;
    expect_json(
        call(app, &user, Method::POST, &path, Some(json!({"price": 100}))).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // A user of the seller can read its listings.
    let mine = expect_json(
        call(app, &user, Method::GET, "/v1/marketplace/my-listings", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["meta"]["total"], 1);
    let rivals = expect_json(
        call(
            app,
            &rival.admin,
            Method::GET,
            "/v1/marketplace/my-listings",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rivals["meta"]["total"], 0);
});

scenario!(of_fifty_concurrent_reservations_exactly_one_wins, |app| {
    let seller = agency(app, "Seller Agency", &[]).await;
    connect(app, &seller.id, true).await;
    let lead = software_lead(app, &seller.id, "ray@example.com").await;
    list(app, &seller, &lead, 300.0).await;
    let mut buyers = Vec::new();
    for n in 0..5 {
        buyers.push(agency(app, &format!("Buyer {n}"), SOFTWARE_ICP).await);
    }
    // The seller cannot reserve its own lead; days are 7 to 14.
    let own = expect_json(
        reserve(app, &seller.admin, &lead, json!(7)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(own["error"]["code"], "own_lead");
    for days in [json!(6), json!(15), json!(7.5), json!("7")] {
        let bad = reserve(app, &buyers[0].admin, &lead, days.clone()).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{days}");
    }

    let attempts = (0..50).map(|n| reserve(app, &buyers[n % 5].admin, &lead, json!(7)));
    let statuses: Vec<StatusCode> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let won = statuses.iter().filter(|s| s.is_success()).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, refused), (1, 49), "{statuses:?}");

    // Find the winner through each buyer's own reservations.
    let mut winner = None;
    for buyer in &buyers {
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
        if mine["meta"]["total"] == 1 {
            assert!(winner.is_none(), "two buyers hold a reservation");
            winner = Some((buyer, mine["list"][0].clone()));
        }
    }
    let (winner, reservation) = winner.expect("one buyer holds the reservation");
    let loser = buyers.iter().find(|b| b.id != winner.id).unwrap();
    assert_eq!(reservation["status"], "active");
    assert_eq!(reservation["days"], 7);
    let id = reservation["id"].as_str().unwrap();
    assert_eq!(browse(app, &loser.admin, "").await["meta"]["total"], 0);
    // The winner still opens it; a loser does not see it any more.
    let detail = format!("/v1/marketplace/leads/{lead}");
    expect_json(
        call(app, &winner.admin, Method::GET, &detail, None).await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        call(app, &loser.admin, Method::GET, &detail, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The seller cannot take a reserved lead back or change its price.
    let unlist = format!("/v1/marketplace/leads/{lead}/list");
    expect_json(
        call(app, &seller.admin, Method::DELETE, &unlist, None).await,
        StatusCode::CONFLICT,
    )
    .await;
    expect_json(
        call(
            app,
            &seller.admin,
            Method::POST,
            &unlist,
            Some(json!({"price": 20})),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Another partner's reservation is not found, whatever it tries.
    let extend = format!("/v1/marketplace/reservations/{id}/extend");
    let cancel = format!("/v1/marketplace/reservations/{id}");
    expect_json(
        call(
            app,
            &loser.admin,
            Method::PATCH,
            &extend,
            Some(json!({"days": 3})),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        call(app, &loser.admin, Method::DELETE, &cancel, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        call(app, &seller.admin, Method::DELETE, &cancel, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Extended once, to at most 14 days in all.
    let too_long = expect_json(
        call(
            app,
            &winner.admin,
            Method::PATCH,
            &extend,
            Some(json!({"days": 8})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(too_long["error"]["details"][0]["field"], "days");
    let extended = expect_json(
        call(
            app,
            &winner.admin,
            Method::PATCH,
            &extend,
            Some(json!({"days": 3})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (extended["days"].clone(), extended["extended"].clone()),
        (json!(10), json!(true))
    );
    let twice = expect_json(
        call(
            app,
            &winner.admin,
            Method::PATCH,
            &extend,
            Some(json!({"days": 1})),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(twice["error"]["code"], "already_extended");

    // Cancelled, the lead is back on the market for everyone.
    let cancelled = expect_json(
        call(app, &winner.admin, Method::DELETE, &cancel, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(ids(&browse(app, &loser.admin, "").await), [lead.as_str()]);
    expect_json(
        call(app, &winner.admin, Method::DELETE, &cancel, None).await,
        StatusCode::CONFLICT,
    )
    .await;
    let again = reserve(app, &loser.admin, &lead, json!(14)).await;
    assert_eq!(again.status(), StatusCode::CREATED);
});

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
        // A payment under way: the expiry leaves it to the payment's outcome.
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
        app.set_clock("2030-01-23T17:00:00Z").await;
        let run = app.run_job("reservation-expiry").await;
        assert_eq!(run["status"], "completed", "{run}");
        assert_eq!(run["counts"]["expired"], 1, "{run}");
        assert_eq!(run["counts"]["skipped"], 1, "{run}");
        let again = app.run_job("reservation-expiry").await;
        assert_eq!(again["counts"]["expired"], 0, "{again}");
        app.drain().await;
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
        // The lapsed lead is listed again; the one being paid for is not.
        assert_eq!(
            ids(&browse(app, &buyer.admin, "").await),
            [lapsing.as_str()]
        );
        let stored = ctx
            .store
            .get(&reservation_key(paid_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored["status"], "purchasing");
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
