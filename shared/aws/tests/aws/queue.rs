//! SqsQueue on moto: worker receive/ack/nack, dead letters after five
//! receives, listing them without losing them, and redrive.

use std::collections::HashSet;
use std::time::Duration;

use pc_aws::SqsQueue;
use pc_platform::queue::{MAX_RECEIVES, Queue, QueueName};

use pc_aws::moto::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_message_is_dead_lettered_and_redriven() {
    let f = fixture("queue").await;
    let queue = SqsQueue::from_config(aws_sdk_sqs::Client::new(&f.sdk), &f.config)
        .with_retry_delay(Duration::ZERO);
    let q = QueueName::Emails;
    queue.send(q, "poison").await.unwrap();
    for attempt in 1..=MAX_RECEIVES {
        let got = queue.receive(q, 10, 0).await.unwrap();
        assert_eq!(got.len(), 1, "delivery {attempt}");
        let (message, receipt) = &got[0];
        assert_eq!(message.body, "poison");
        assert_eq!(message.receive_count, attempt);
        queue
            .nack(q, message, receipt, "always fails")
            .await
            .unwrap();
    }
    // The next receive moves it to the dead-letter queue instead.
    assert!(queue.receive(q, 10, 0).await.unwrap().is_empty());

    let dead = queue.dead_letters(q, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].queue, "emails");
    // Listing does not take them away.
    assert_eq!(queue.dead_letters(q, 10).await.unwrap().len(), 1);
    // Other queues are untouched.
    assert!(
        queue
            .dead_letters(QueueName::Events, 10)
            .await
            .unwrap()
            .is_empty()
    );

    redrive_the_one_dead_letter(&queue, q, "poison").await;
    assert!(queue.receive(q, 10, 0).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_straight_to_the_dead_letter_queue_is_listed_and_redriven() {
    let f = fixture("poison").await;
    let queue = SqsQueue::from_config(aws_sdk_sqs::Client::new(&f.sdk), &f.config)
        .with_retry_delay(Duration::ZERO);
    let q = QueueName::Billing;
    queue.dead_letter(q, "bad", "unreadable").await.unwrap();
    assert!(queue.receive(q, 10, 0).await.unwrap().is_empty());

    let dead = queue.dead_letters(q, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "bad");
    assert_eq!(dead[0].queue, "billing");
    assert!(
        queue
            .dead_letters(QueueName::Emails, 10)
            .await
            .unwrap()
            .is_empty()
    );

    redrive_the_one_dead_letter(&queue, q, "bad").await;

    // A body moved by this redrive that shows up again (a poison message
    // failing again at once) is left in the dead-letter queue, visible.
    queue.dead_letter(q, "again", "unreadable").await.unwrap();
    queue.dead_letter(q, "again", "unreadable").await.unwrap();
    assert_eq!(queue.redrive(q).await.unwrap(), 1);
    assert_eq!(queue.dead_letters(q, 10).await.unwrap().len(), 1);
    assert_eq!(queue.receive(q, 10, 0).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_dead_letters_than_one_receive_are_listed_and_redriven() {
    let f = fixture("dlq").await;
    let client = aws_sdk_sqs::Client::new(&f.sdk);
    let queue = SqsQueue::from_config(client.clone(), &f.config);
    let q = QueueName::WebhookDeliveries;
    let dlq = queue.dead_letter_url(q).await.unwrap();
    assert!(
        dlq.ends_with(&format!("{}-webhook-deliveries-dlq", f.name)),
        "{dlq}"
    );
    for i in 0..23 {
        client
            .send_message()
            .queue_url(&dlq)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    let dead = queue.dead_letters(q, 100).await.unwrap();
    let bodies: HashSet<_> = dead.iter().map(|d| d.body.clone()).collect();
    assert_eq!(bodies.len(), 23);
    assert_eq!(queue.dead_letters(q, 5).await.unwrap().len(), 5);
    // Released at once: the full list is there again.
    assert_eq!(queue.dead_letters(q, 100).await.unwrap().len(), 23);

    assert_eq!(queue.redrive(q).await.unwrap(), 23);
    let mut moved = HashSet::new();
    loop {
        let got = queue.receive(q, 10, 0).await.unwrap();
        if got.is_empty() {
            break;
        }
        for (message, receipt) in got {
            moved.insert(message.body);
            queue.ack(q, &receipt).await.unwrap();
        }
    }
    assert_eq!(moved, bodies);
}

/// Redrives `q`'s one dead letter, `body`, and takes it back from `q` as a
/// first delivery.
async fn redrive_the_one_dead_letter(queue: &SqsQueue, q: QueueName, body: &str) {
    assert_eq!(queue.redrive(q).await.unwrap(), 1);
    assert!(queue.dead_letters(q, 10).await.unwrap().is_empty());
    let back = queue.receive(q, 10, 0).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].0.body, body);
    assert_eq!(back[0].0.receive_count, 1);
    queue.ack(q, &back[0].1).await.unwrap();
}
