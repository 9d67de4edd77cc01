//! The broadcaster's Lambda entry at the function level against moto: an
//! EventBridge `lead-sold` event handed to the runner of the deployed
//! function, built as its binary builds it (the table on DynamoDB, posts
//! through API Gateway's Management API), reaches both sides' connections
//! and forgets a closed one.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use serde_json::{Value, json};

use pc_aws::AwsPorts;
use pc_aws::moto::{PushWithClosed, fixture};
use pc_http::functions::Trigger;
use pc_realtime::connections_store::{get_connection, save_connection};
use pc_realtime::functions::realtime_broadcaster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_from_eventbridge_is_posted_to_both_sides() {
    let f = fixture("broadcaster-lambda").await;
    let function = realtime_broadcaster();
    let Trigger::BusRule(_, handler) = function.trigger else {
        panic!("the broadcaster is a bus rule");
    };
    let push = Arc::new(PushWithClosed::new(&f.sdk, "c-closed"));
    let mut context = AwsPorts::with_sdk(f.sdk.clone(), f.config.clone())
        .store()
        .context();
    context.push = push.clone();
    let ctx = Arc::new(context);
    let now = Utc::now();
    for (id, partner) in [
        ("c-seller", "S"),
        ("c-buyer", "B"),
        ("c-closed", "B"),
        ("c-other", "O"),
    ] {
        save_connection(&*ctx.store, id, partner, "u", now)
            .await
            .unwrap();
    }
    let event: EventBridgeEvent<Value> = serde_json::from_value(json!({
        "version": "0", "id": "1", "detail-type": "lead-sold", "source": "partner-connector",
        "account": "123456789012", "time": "2026-11-21T09:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"leadId": "L", "sellerId": "S", "buyerId": "B"}
    }))
    .unwrap();

    pc_host::socket_lambda::handle_bus_rule(&ctx, function.name, handler, event)
        .await
        .unwrap();

    assert_eq!(push.posted(), ["c-buyer", "c-seller"]);
    assert!(
        get_connection(&*ctx.store, "c-closed")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        get_connection(&*ctx.store, "c-other")
            .await
            .unwrap()
            .is_some()
    );
}
