//! Reservations: of fifty concurrent ones exactly one wins; extensions and
//! cancellations put the lead back on the market.

use futures::future::join_all;
use pc_tests::marketplace_support::{
    SOFTWARE_ICP, agency, browse, call, connect, ids, list, reserve, software_lead,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

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
