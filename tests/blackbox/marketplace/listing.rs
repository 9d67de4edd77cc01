//! Listing a lead checks its price, the seller's Stripe Connect account,
//! role and ownership.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::marketplace_support::{agency, call, connect, list, software_lead};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

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
