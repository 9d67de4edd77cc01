//! The runner's dispatch of WebSocket API events and bus rule events, on
//! an embedded context: a signed-in partner admin's socket opens with a
//! connection ticket (once) or the cookie, never with an access token in
//! the URL nor from another site's page; one without a credential is
//! refused with 401, a partner awaiting approval with 403; `$default`
//! carries the client's message to presence.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use pc_http::AppState;
use pc_http::functions::Trigger;
use pc_http::identity::{Role, UserRecord};
use pc_platform::context::EmbeddedParts;
use pc_realtime::connections_store::get_connection;
use pc_realtime::functions::{
    realtime_broadcaster, realtime_connect, realtime_default, realtime_disconnect,
};
use serde_json::{Value, json};

use super::*;

/// A connection ticket of the holder of `token`.
async fn ticket_of(ctx: &AppState, token: &str) -> String {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let caller = pc_http::auth::authenticate(ctx, &headers).await.unwrap();
    pc_realtime::tickets::issue(ctx, &caller.principal, ctx.clock.now())
        .await
        .unwrap()
        .ticket
}

/// A partner with an admin, signed in: (context, access token).
async fn signed_in_admin() -> (AppState, String) {
    let ctx = EmbeddedParts::in_memory().context;
    let now = ctx.clock.now();
    let mut partner =
        pc_accounts::partners_store::PartnerRecord::new_active("P1", "Acme", "acme", now);
    pc_accounts::partners_store::create_partner(&*ctx.store, &mut partner, true, vec![])
        .await
        .unwrap();
    let admin = UserRecord {
        id: "U1".into(),
        email: "ada@acme.example".into(),
        name: "Ada".into(),
        role: Role::Admin,
        partner_id: Some("P1".into()),
        is_active: true,
        is_partner_owner: true,
        password_hash: None,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    pc_accounts::users_store::create_user(&*ctx.store, &admin)
        .await
        .unwrap();
    let tokens = pc_accounts::sessions_store::start(&ctx, &admin)
        .await
        .unwrap();
    (ctx, tokens.access)
}

fn socket_event(route: &str, connection: &str, extra: Value) -> ApiGatewayWebsocketProxyRequest {
    let mut event = json!({
        "requestContext": {"routeKey": route, "connectionId": connection, "eventType": "CONNECT",
            "stage": "live", "apiId": "abc123", "requestId": "r", "connectedAt": 0,
            "requestTimeEpoch": 0, "identity": {"sourceIp": "203.0.113.9"}},
        "isBase64Encoded": false
    });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    serde_json::from_value(event).unwrap()
}

async fn run(
    ctx: &AppState,
    function: pc_http::Function,
    event: ApiGatewayWebsocketProxyRequest,
) -> i64 {
    let Trigger::Socket(route, handler) = function.trigger else {
        panic!("{} is not a socket route", function.name);
    };
    handle_socket(ctx, function.name, route, handler, event)
        .await
        .status_code
}

#[tokio::test]
async fn connect_takes_a_ticket_once_or_the_cookie_never_a_token_in_the_url() {
    let (ctx, token) = signed_in_admin().await;

    let bare = socket_event("$connect", "c-bare", json!({}));
    assert_eq!(run(&ctx, realtime_connect(), bare).await, 401);
    assert!(
        get_connection(&*ctx.store, "c-bare")
            .await
            .unwrap()
            .is_none()
    );
    // A valid access token in the URL opens nothing.
    let by_token = socket_event(
        "$connect",
        "c-token",
        json!({"queryStringParameters": {"token": token}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), by_token).await, 401);
    let forged = socket_event(
        "$connect",
        "c-forged",
        json!({"queryStringParameters": {"ticket": "not-a-ticket"}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), forged).await, 401);

    let ticket = ticket_of(&ctx, &token).await;
    let by_ticket = |id: &str| {
        socket_event(
            "$connect",
            id,
            json!({"queryStringParameters": {"ticket": &ticket},
                "headers": {"Origin": &ctx.config.cors_origin}}),
        )
    };
    assert_eq!(
        run(&ctx, realtime_connect(), by_ticket("c-ticket")).await,
        200
    );
    let saved = get_connection(&*ctx.store, "c-ticket")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.partner_id, "P1");
    // Single use.
    assert_eq!(
        run(&ctx, realtime_connect(), by_ticket("c-again")).await,
        401
    );

    let by_cookie = socket_event(
        "$connect",
        "c-cookie",
        json!({"headers": {"Cookie": format!("theme=dark; accessToken={token}")}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), by_cookie).await, 200);
    assert!(
        get_connection(&*ctx.store, "c-cookie")
            .await
            .unwrap()
            .is_some()
    );

    // Another site's page, with the cookie or a ticket: 403.
    let cross_cookie = socket_event(
        "$connect",
        "c-cross",
        json!({"headers": {"Cookie": format!("accessToken={token}"),
            "Origin": "https://evil.example"}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), cross_cookie).await, 403);
    let ticket = ticket_of(&ctx, &token).await;
    let cross_ticket = socket_event(
        "$connect",
        "c-cross-ticket",
        json!({"queryStringParameters": {"ticket": ticket},
            "headers": {"Origin": "https://evil.example"}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), cross_ticket).await, 403);
    assert!(
        get_connection(&*ctx.store, "c-cross-ticket")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_partner_awaiting_approval_gets_no_socket() {
    let (ctx, token) = signed_in_admin().await;
    let ticket = ticket_of(&ctx, &token).await;
    ctx.store
        .update(
            pc_platform::store::Update::new(pc_http::identity::partner_key("P1"))
                .set("status", "pending_approval"),
        )
        .await
        .unwrap();
    let open = socket_event(
        "$connect",
        "c-pending",
        json!({"queryStringParameters": {"ticket": ticket}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), open).await, 403);
    assert!(
        get_connection(&*ctx.store, "c-pending")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn default_reads_the_message_and_disconnect_forgets_the_socket() {
    let (ctx, token) = signed_in_admin().await;
    let ticket = ticket_of(&ctx, &token).await;
    let open = socket_event(
        "$connect",
        "c-1",
        json!({"queryStringParameters": {"ticket": ticket}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), open).await, 200);

    // A lead that is not listed tells nobody, and the socket stays.
    let view = socket_event(
        "$default",
        "c-1",
        json!({"body": r#"{"action":"view-lead","leadId":"L-unknown"}"#}),
    );
    assert_eq!(run(&ctx, realtime_default(), view).await, 200);
    let garbage = socket_event("$default", "c-1", json!({"body": "not json"}));
    assert_eq!(run(&ctx, realtime_default(), garbage).await, 200);
    assert!(get_connection(&*ctx.store, "c-1").await.unwrap().is_some());

    let close = socket_event("$disconnect", "c-1", json!({}));
    assert_eq!(run(&ctx, realtime_disconnect(), close).await, 200);
    assert!(get_connection(&*ctx.store, "c-1").await.unwrap().is_none());
}

#[tokio::test]
async fn an_event_of_another_route_is_never_run() {
    let (ctx, token) = signed_in_admin().await;
    let ticket = ticket_of(&ctx, &token).await;
    let misrouted = socket_event(
        "$default",
        "c-2",
        json!({"queryStringParameters": {"ticket": ticket}}),
    );
    assert_eq!(run(&ctx, realtime_connect(), misrouted).await, 400);
    assert!(get_connection(&*ctx.store, "c-2").await.unwrap().is_none());
}

#[tokio::test]
async fn the_broadcaster_takes_an_eventbridge_event() {
    let ctx = EmbeddedParts::in_memory().context;
    let function = realtime_broadcaster();
    let Trigger::BusRule(types, handler) = function.trigger else {
        panic!("the broadcaster is not a bus rule");
    };
    assert!(types.contains(&"lead-listed"));
    let event: EventBridgeEvent<Value> = serde_json::from_value(json!({
        "version": "0", "id": "1", "detail-type": "lead-listed", "source": "partner-connector",
        "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"sellerId": "S", "leadId": "L"}
    }))
    .unwrap();
    // No connection is open: nothing to push, and the store answered.
    handle_bus_rule(&ctx, function.name, handler, event)
        .await
        .unwrap();
}
