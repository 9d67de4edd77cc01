//! Black-box scenarios of real-time events on the dev server's `GET /ws`,
//! with a real WebSocket client: another partner's socket receives
//! `lead-listed`, the seller hears viewers join and leave its lead, both
//! sides receive `lead-sold`; a socket without a valid credential, with an
//! access token in its URL, with a used ticket, from another site's page
//! or of a partner awaiting approval is refused.

use pc_http::identity::partner_key;
use pc_platform::store::Update;
use pc_tests::market_support::{buy, connected_seller, listed_lead, partner};
use pc_tests::realtime_support::{Credentials, access_token, open, open_from, ticket};
use pc_tests::{json, scenario};

scenario!(sockets_receive_listings_presence_and_sales, |app| {
    let seller = connected_seller(app, "Live Seller").await;
    let buyer = partner(app, "Live Buyer").await;
    let seller_token = access_token(app, &seller.admin_email).await;
    let buyer_token = access_token(app, &buyer.admin_email).await;
    let mut seller_socket = open(app, Credentials::Cookie(&seller_token)).await.unwrap();
    let buyer_ticket = ticket(app, &buyer_token).await;
    let mut buyer_socket = open(app, Credentials::Ticket(&buyer_ticket)).await.unwrap();

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

    buy(app, &buyer, &lead).await;
    for socket in [&mut seller_socket, &mut buyer_socket] {
        let sold = socket.next_of("lead-sold").await;
        assert_eq!(sold["data"]["leadId"], lead.as_str());
        assert_eq!(sold["data"]["buyerId"], buyer.partner_id.as_str());
    }

    // Disconnecting while viewing tells the seller the viewer left.
    let second = connected_seller(app, "Second Seller").await;
    let other = listed_lead(app, &second, "other@widget.example", 20).await;
    let second_token = access_token(app, &second.admin_email).await;
    let second_ticket = ticket(app, &second_token).await;
    let mut second_socket = open(app, Credentials::Ticket(&second_ticket))
        .await
        .unwrap();
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

scenario!(a_socket_without_a_valid_credential_is_refused, |app| {
    let buyer = partner(app, "Refused Buyer").await;
    assert_eq!(open(app, Credentials::None).await.err(), Some(401));
    assert_eq!(
        open(app, Credentials::Ticket("not-a-ticket")).await.err(),
        Some(401)
    );
    assert_eq!(
        open(app, Credentials::Cookie("forged.token.value"))
            .await
            .err(),
        Some(401)
    );
    // A genuine access token in the URL opens nothing.
    let token = access_token(app, &buyer.admin_email).await;
    assert_eq!(
        open(app, Credentials::TokenInUrl(&token)).await.err(),
        Some(401)
    );
    // A ticket opens one socket, once.
    let once = ticket(app, &token).await;
    let socket = open(app, Credentials::Ticket(&once)).await;
    assert!(socket.is_ok());
    assert_eq!(open(app, Credentials::Ticket(&once)).await.err(), Some(401));
    socket.unwrap().close().await;
    assert!(open(app, Credentials::Cookie(&token)).await.is_ok());
});

scenario!(a_page_on_another_site_cannot_open_a_socket, |app| {
    let buyer = partner(app, "Hijacked Buyer").await;
    let token = access_token(app, &buyer.admin_email).await;
    // The browser sends the session cookie with the upgrade whatever page
    // asks; the Origin tells them apart.
    for origin in ["https://evil.example", "null"] {
        assert_eq!(
            open_from(app, Credentials::Cookie(&token), Some(origin))
                .await
                .err(),
            Some(403),
            "{origin}"
        );
        let fresh = ticket(app, &token).await;
        assert_eq!(
            open_from(app, Credentials::Ticket(&fresh), Some(origin))
                .await
                .err(),
            Some(403),
            "{origin}"
        );
    }
    assert!(open(app, Credentials::Cookie(&token)).await.is_ok());
});

scenario!(a_partner_awaiting_approval_hears_no_marketplace, |app| {
    let seller = connected_seller(app, "Open Seller").await;
    let waiting = partner(app, "Waiting Buyer").await;
    let listener = partner(app, "Active Buyer").await;
    let waiting_token = access_token(app, &waiting.admin_email).await;
    let listener_token = access_token(app, &listener.admin_email).await;
    let listener_ticket = ticket(app, &listener_token).await;
    let mut listening = open(app, Credentials::Ticket(&listener_ticket))
        .await
        .unwrap();
    // A ticket asked while active does not outlive the approval being
    // taken back, nor does the cookie.
    let early = ticket(app, &waiting_token).await;
    app.server
        .context
        .store
        .update(Update::new(partner_key(&waiting.partner_id)).set("status", "pending_approval"))
        .await
        .unwrap();
    assert_eq!(
        open(app, Credentials::Ticket(&early)).await.err(),
        Some(403)
    );
    assert_eq!(
        open(app, Credentials::Cookie(&waiting_token)).await.err(),
        Some(403)
    );

    // The active partner still hears the listing.
    let lead = listed_lead(app, &seller, "quiet@widget.example", 40).await;
    let listed = listening.next_of("lead-listed").await;
    assert_eq!(listed["data"]["leadId"], lead.as_str());
    listening.close().await;
});
