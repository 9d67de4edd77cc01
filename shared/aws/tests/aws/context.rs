//! The AWS context on moto: every port wired to its AWS adapter.

use pc_platform::bus::BusEvent;
use pc_platform::email::OutgoingEmail;
use pc_platform::queue::QueueName;
use pc_platform::store::{Key, Store};
use serde_json::json;

use pc_aws::moto::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_context_reaches_every_service() {
    let f = fixture("ctx").await;
    let parts = pc_aws::AwsParts::new(&f.sdk, f.config.clone());
    let ctx = &parts.context;
    let item = json!({"pk": "CTX", "sk": "1", "entity": "t"});
    ctx.store
        .put(item.as_object().unwrap().clone(), None)
        .await
        .unwrap();
    assert!(
        parts
            .store
            .get(&Key::new("CTX", "1"))
            .await
            .unwrap()
            .is_some()
    );
    ctx.queue.send(QueueName::SyncLeads, "{}").await.unwrap();
    let got = parts
        .queue
        .receive(QueueName::SyncLeads, 1, 1)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    ctx.email
        .send(&OutgoingEmail {
            from: f.config.email_from.clone(),
            to: "x@example.com".into(),
            subject: "s".into(),
            text: "t".into(),
            html: String::new(),
        })
        .await
        .unwrap();
    ctx.bus
        .publish(&[BusEvent {
            detail_type: "lead-sold".into(),
            detail: json!({}),
        }])
        .await
        .unwrap();
    let plain = pc_aws::aws_context_with(&f.sdk, f.config.clone());
    assert_eq!(plain.config.table_name, f.config.table_name);
}
