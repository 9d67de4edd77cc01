//! The marketplace's loose ends: a reservation's buyer is warned a day
//! before it ends (once; the reservation stays active); a lead's status
//! change reaches its partner's sockets as `stage-updated`; the seller of
//! a sold lead sees what became of the buyer's copy (its status only).

use pc_tests::market_support::{
    connected_seller, create_lead, get_ok, listed_lead, partner, pay, reserve,
};
use pc_tests::marketplace_support::{SOFTWARE_ICP, agency, connect, sign_in_again, software_lead};
use pc_tests::notify_support::mails_to;
use pc_tests::realtime_support::{Credentials, access_token, open};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

scenario!(a_reservations_buyer_is_warned_a_day_before_it_ends, |app| {
    app.set_clock("2030-03-01T12:00:00Z").await;
    let seller = agency(app, "Warning Seller", &[]).await;
    let buyer = agency(app, "Warned Buyer", SOFTWARE_ICP).await;
    connect(app, &seller.id, true).await;
    let lead = software_lead(app, &seller.id, "warn@acme.example").await;
    pc_tests::marketplace_support::list(app, &seller, &lead, 100.0).await;
    let held = expect_json(
        pc_tests::marketplace_support::reserve(app, &buyer.admin, &lead, json!(7)).await,
        StatusCode::CREATED,
    )
    .await;

    // Two days before the end: too early.
    app.set_clock("2030-03-06T12:00:00Z").await;
    let early = app.run_job("reservation-expiry").await;
    assert_eq!(early["counts"]["warned"], 0, "{early}");

    // Within the last day: warned once, however often the job runs. The
    // dev server's scheduler fires the due run by itself when the clock
    // jumps; the drain runs it or waits for it, so the warning is sent by
    // then and a run of our own finds nothing left to warn.
    app.set_clock("2030-03-07T13:00:00Z").await;
    app.drain().await;
    let run = app.run_job("reservation-expiry").await;
    assert_eq!(run["counts"]["warned"], 0, "{run}");
    assert_eq!(run["counts"]["expired"], 0, "{run}");
    let again = app.run_job("reservation-expiry").await;
    assert_eq!(again["counts"]["warned"], 0, "{again}");
    app.drain().await;
    let mails = mails_to(app, &buyer.admin_email, "is expiring").await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]["text"]
            .as_str()
            .unwrap()
            .contains("2030-03-08T12:00"),
        "{mails:?}"
    );

    sign_in_again(app, &buyer).await;
    let mine = get_ok(app, &buyer.admin, "/v1/marketplace/reservations").await;
    assert_eq!(mine["list"][0]["id"], held["id"]);
    assert_eq!(mine["list"][0]["status"], "active");
});

scenario!(a_status_change_reaches_the_partners_socket, |app| {
    let owner = partner(app, "Live Partner").await;
    let other = partner(app, "Other Partner").await;
    let lead = create_lead(app, &owner.admin, &json!({"email": "moving@acme.example"})).await;
    let token = access_token(app, &owner.admin_email).await;
    let mut socket = open(app, Credentials::Cookie(&token)).await.unwrap();
    let other_token = access_token(app, &other.admin_email).await;
    let mut other_socket = open(app, Credentials::Cookie(&other_token)).await.unwrap();

    let moved = pc_tests::market_support::call(
        app,
        &owner.admin,
        Method::PATCH,
        &format!("/v1/leads/{lead}"),
        &json!({"dealStatus": "in_touch"}),
    )
    .await;
    expect_json(moved, StatusCode::OK).await;
    app.drain().await;
    let stage = socket.next_of("stage-updated").await;
    assert_eq!(stage["data"]["leadId"], lead.as_str());
    assert_eq!(stage["data"]["partnerId"], owner.partner_id.as_str());
    assert_eq!(stage["data"]["dealStatus"], "in_touch");
    assert_eq!(stage["data"]["previousStatus"], "new");

    // Another partner hears nothing of it: a listing it does hear of
    // comes first.
    let seller = connected_seller(app, "Later Seller").await;
    let listed = listed_lead(app, &seller, "later@widget.example", 30).await;
    let next = other_socket.next_of("lead-listed").await;
    assert_eq!(next["data"]["leadId"], listed.as_str());
    socket.close().await;
    other_socket.close().await;
});

scenario!(the_seller_sees_the_status_of_the_buyers_copy, |app| {
    let seller = connected_seller(app, "Curious Seller").await;
    let buyer = partner(app, "Busy Buyer").await;
    let lead = listed_lead(app, &seller, "sold@widget.example", 100).await;
    let reservation = reserve(app, &buyer, &lead).await;
    pay(app, &buyer, &reservation).await;

    let listings = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    assert_eq!(listings["list"][0]["marketplaceStatus"], "sold");
    assert_eq!(listings["list"][0]["buyerDealStatus"], "new", "{listings}");

    let bought = get_ok(app, &buyer.admin, "/v1/marketplace/purchases?role=buyer").await;
    let copy = bought["list"][0]["boughtLeadId"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = pc_tests::market_support::call(
        app,
        &buyer.admin,
        Method::PATCH,
        &format!("/v1/leads/{copy}"),
        &json!({"dealStatus": "won"}),
    )
    .await;
    expect_json(moved, StatusCode::OK).await;
    let listings = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    let row = &listings["list"][0];
    assert_eq!(row["buyerDealStatus"], "won", "{listings}");
    assert!(row.get("notes").is_none(), "{row}");
});
