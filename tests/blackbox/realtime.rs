//! Black-box scenarios of real-time events on the dev server's `GET /ws`,
//! with a real WebSocket client: another partner's socket receives
//! `lead-listed`, the seller hears viewers join and leave its lead, both
//! sides receive `lead-sold`; a socket without a valid token is refused.

use pc_tests::market_support::{connected_seller, listed_lead, partner, purchase, reserve};
use pc_tests::realtime_support::{Credentials, access_token, open};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

scenario!(sockets_receive_listings_presence_and_sales, |app| {
    let seller = connected_seller(app, "Live Seller").await;
    let buyer = partner(app, "Live Buyer").await;
    let seller_token = access_token(app, &seller.admin_email).await;
    let buyer_token = access_token(app, &buyer.admin_email).await;
    let mut seller_socket = open(app, Credentials::Cookie(&seller_token)).await.unwrap();
    let mut buyer_socket = open(app, Credentials::Query(&buyer_token)).await.unwrap();

    let lead = listed_lead(app, &seller, "live@widget.example", 75).await;
    let listed = buyer_socket.next_of("lead-listed").await;
    assert_eq!(listed["data"]["leadId"], lead.as_str());
    assert_eq!(listed["data"]["sellerId"], seller.partner_id.as_str());

    buyer_socket
        .say(&json!({"action": "view-lead", "leadId": lead}))
        .await;
    let joined = seller_socket.next_of("viewer-joined").await;
    assert_eq!(joined["data"]["leadId"], lead.as_str());
    assert_eq!(joined["data"]["viewerPartnerId"], buyer.partner_id.as_str());
    buyer_socket.say(&json!({"action": "leave-lead"})).await;
    let left = seller_socket.next_of("viewer-left").await;
    assert_eq!(left["data"]["leadId"], lead.as_str());

    let reservation = reserve(app, &buyer, &lead).await;
    let started = expect_json(
        purchase(app, &buyer.admin, &reservation).await,
        StatusCode::CREATED,
    )
    .await;
    let intent = started["paymentIntentId"].as_str().unwrap();
    let succeed = format!("/dev/stripe/payment-intents/{intent}/succeed");
    expect_json(app.post(&succeed, &json!({})).await, StatusCode::OK).await;
    app.drain().await;
    for socket in [&mut seller_socket, &mut buyer_socket] {
        let sold = socket.next_of("lead-sold").await;
        assert_eq!(sold["data"]["leadId"], lead.as_str());
        assert_eq!(sold["data"]["buyerId"], buyer.partner_id.as_str());
    }

    // Disconnecting while viewing tells the seller the viewer left.
    let second = connected_seller(app, "Second Seller").await;
    let other = listed_lead(app, &second, "other@widget.example", 20).await;
    let second_token = access_token(app, &second.admin_email).await;
    let mut second_socket = open(app, Credentials::Query(&second_token)).await.unwrap();
    buyer_socket.next_of("lead-listed").await;
    buyer_socket
        .say(&json!({"action": "view-lead", "leadId": other}))
        .await;
    second_socket.next_of("viewer-joined").await;
    buyer_socket.close().await;
    let gone = second_socket.next_of("viewer-left").await;
    assert_eq!(gone["data"]["leadId"], other.as_str());
    seller_socket.close().await;
    second_socket.close().await;
});

scenario!(a_socket_without_a_valid_token_is_refused, |app| {
    let buyer = partner(app, "Refused Buyer").await;
    assert_eq!(open(app, Credentials::None).await.err(), Some(401));
    assert_eq!(
        open(app, Credentials::Query("not-a-token")).await.err(),
        Some(401)
    );
    assert_eq!(
        open(app, Credentials::Cookie("forged.token.value"))
            .await
            .err(),
        Some(401)
    );
    let token = access_token(app, &buyer.admin_email).await;
    assert!(open(app, Credentials::Query(&token)).await.is_ok());
});
