//! The broadcaster as it runs in AWS, at the function level against moto:
//! connections in DynamoDB, messages posted through API Gateway's
//! Management API (moto's), a closed connection forgotten.

use chrono::Utc;
use serde_json::json;

use pc_aws::DynamoStore;
use pc_aws::moto::{PushWithClosed, fixture};
use pc_platform::bus::BusEvent;
use pc_realtime::broadcaster::{Broadcast, broadcast};
use pc_realtime::connections_store::{get_connection, save_connection};

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
    let push = PushWithClosed::new(&f.sdk, "c-closed");
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
    assert_eq!(push.posted(), ["c-buyer", "c-seller"]);
    assert!(get_connection(&store, "c-closed").await.unwrap().is_none());
    assert!(get_connection(&store, "c-other").await.unwrap().is_some());
}
