//! The broadcaster as it runs in AWS, at the function level against moto:
//! connections in DynamoDB, messages posted through API Gateway's
//! Management API (moto's), a closed connection forgotten.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;

use pc_aws::moto::fixture;
use pc_aws::{ApiGatewayPush, DynamoStore};
use pc_platform::bus::BusEvent;
use pc_platform::realtime::{ConnectionPush, PushError};
use pc_realtime::broadcaster::{Broadcast, broadcast};
use pc_realtime::connections_store::{get_connection, save_connection};

/// API Gateway's Management API on moto, with one connection closed: moto
/// accepts posts to any id, so the closed one answers 410 here.
struct MotoWithClosed {
    api: ApiGatewayPush,
    closed: &'static str,
    posted: Mutex<Vec<String>>,
}

#[async_trait]
impl ConnectionPush for MotoWithClosed {
    async fn push(&self, connection_id: &str, message: &str) -> Result<(), PushError> {
        if connection_id == self.closed {
            return Err(PushError::Gone);
        }
        self.api.push(connection_id, message).await?;
        self.posted.lock().unwrap().push(connection_id.to_owned());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_is_posted_to_both_sides_through_the_management_api() {
    let f = fixture("broadcast").await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&f.sdk), &f.config.table_name);
    let now = Utc::now();
    for (id, partner) in [
        ("c-seller", "S"),
        ("c-buyer", "B"),
        ("c-closed", "B"),
        ("c-other", "O"),
    ] {
        save_connection(&store, id, partner, "u", now)
            .await
            .unwrap();
    }
    let push = MotoWithClosed {
        api: ApiGatewayPush::new(&f.sdk, pc_aws::moto::endpoint()),
        closed: "c-closed",
        posted: Mutex::new(Vec::new()),
    };
    let sold = BusEvent {
        detail_type: "lead-sold".into(),
        detail: json!({"leadId": "L", "sellerId": "S", "buyerId": "B"}),
    };

    let report = broadcast(&store, &push, &sold).await.unwrap();

    assert_eq!(
        report,
        Broadcast {
            sent: 2,
            gone: 1,
            failed: 0
        }
    );
    let mut posted = push.posted.lock().unwrap().clone();
    posted.sort();
    assert_eq!(posted, ["c-buyer", "c-seller"]);
    assert!(get_connection(&store, "c-closed").await.unwrap().is_none());
    assert!(get_connection(&store, "c-other").await.unwrap().is_some());
}
