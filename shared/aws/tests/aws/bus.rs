//! EventBridgeBus on moto: events reach a rule's SQS target, in more than
//! one PutEvents request.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use pc_aws::EventBridgeBus;
use pc_platform::bus::{BusEvent, EventBus};
use serde_json::{Value, json};

use pc_aws::moto::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_bus_rules() {
    let f = fixture("bus").await;
    let events = aws_sdk_eventbridge::Client::new(&f.sdk);
    let sqs = aws_sdk_sqs::Client::new(&f.sdk);
    // A rule on the bus sending every event of ours to a queue.
    let target = sqs
        .create_queue()
        .queue_name(format!("{}-target", f.name))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&target)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    events
        .put_rule()
        .name("all")
        .event_bus_name(&f.config.event_bus_name)
        .event_pattern(json!({"source": ["partner-connector"]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all")
        .event_bus_name(&f.config.event_bus_name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let bus = EventBridgeBus::new(events, &f.config.event_bus_name);
    let published: Vec<BusEvent> = (0..23)
        .map(|i| BusEvent {
            detail_type: "lead-listed".into(),
            detail: json!({"leadId": format!("L{i}")}),
        })
        .collect();
    bus.publish(&published).await.unwrap();
    bus.publish(&[]).await.unwrap();

    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 23 && Instant::now() < deadline {
        let got = sqs
            .receive_message()
            .queue_url(&target)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in got.messages.unwrap_or_default() {
            let event: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            assert_eq!(event["source"], "partner-connector");
            assert_eq!(event["detail-type"], "lead-listed");
            seen.push(event["detail"]["leadId"].as_str().unwrap().to_owned());
            sqs.delete_message()
                .queue_url(&target)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    seen.sort();
    let mut expected: Vec<String> = (0..23).map(|i| format!("L{i}")).collect();
    expected.sort();
    assert_eq!(seen, expected);
}
