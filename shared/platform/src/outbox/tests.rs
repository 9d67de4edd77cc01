use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::queue::embedded::EmbeddedQueue;
use crate::queue::faults::{FaultyQueue, QueueFaults};
use crate::store::embedded::EmbeddedStore;

struct Harness {
    inner: Arc<dyn Store>,
    relaying: RelayingStore,
    queue: Arc<EmbeddedQueue>,
    faults: Arc<QueueFaults>,
}

fn harness() -> Harness {
    let inner: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    let queue = Arc::new(EmbeddedQueue::new(inner.clone()));
    let faults = Arc::new(QueueFaults::default());
    let sending = Arc::new(FaultyQueue::new(queue.clone(), faults.clone()));
    Harness {
        relaying: RelayingStore::new(inner.clone(), sending),
        inner,
        queue,
        faults,
    }
}

fn change(pk: &str) -> Write {
    Write::put(
        json!({"pk": pk, "sk": "X", "entity": "thing"})
            .as_object()
            .cloned()
            .unwrap(),
    )
}

fn outbox(id: &str, now: DateTime<Utc>) -> Outbox {
    let mut outbox = Outbox::new(id.into(), now);
    outbox
        .push(QueueName::Events, "event-1", &json!({"id": "event-1"}))
        .unwrap();
    outbox
        .push(QueueName::Emails, "job-1", &json!({"id": "job-1"}))
        .unwrap();
    outbox
}

async fn bodies(queue: &EmbeddedQueue, name: QueueName) -> Vec<String> {
    let got = queue.receive(name, 10).await.unwrap();
    for m in &got {
        queue.ack(name, m).await.unwrap();
    }
    got.into_iter().map(|m| m.body).collect()
}

async fn outbox_items(store: &dyn Store) -> usize {
    store
        .query(&Query::partition(Index::Gsi1, PARTITION))
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn a_committed_change_sends_its_messages_and_drops_the_item() {
    let h = harness();
    let mut writes = vec![change("A")];
    outbox("o1", Utc::now()).add_to(&mut writes).unwrap();
    h.relaying.transact(writes).await.unwrap();
    assert_eq!(
        bodies(&h.queue, QueueName::Events).await,
        [r#"{"id":"event-1"}"#]
    );
    assert_eq!(
        bodies(&h.queue, QueueName::Emails).await,
        [r#"{"id":"job-1"}"#]
    );
    assert_eq!(outbox_items(&*h.inner).await, 0);
}

#[tokio::test]
async fn a_cancelled_change_sends_nothing() {
    let h = harness();
    h.inner
        .put(
            match change("A") {
                Write::Put { item, .. } => item,
                _ => unreachable!(),
            },
            None,
        )
        .await
        .unwrap();
    let mut writes = vec![match change("A") {
        Write::Put { item, .. } => Write::put_new(item),
        _ => unreachable!(),
    }];
    outbox("o1", Utc::now()).add_to(&mut writes).unwrap();
    assert!(h.relaying.transact(writes).await.is_err());
    assert!(bodies(&h.queue, QueueName::Events).await.is_empty());
    assert_eq!(outbox_items(&*h.inner).await, 0);
}

#[tokio::test]
async fn a_failed_send_keeps_the_item_for_the_sweep_which_sends_it_once() {
    let h = harness();
    h.faults.fail();
    let created = Utc::now();
    let mut writes = vec![change("A")];
    outbox("o1", created).add_to(&mut writes).unwrap();
    h.relaying.transact(writes).await.unwrap();
    assert!(h.inner.get(&Key::new("A", "X")).await.unwrap().is_some());
    assert_eq!(outbox_items(&*h.inner).await, 1);
    assert!(bodies(&h.queue, QueueName::Events).await.is_empty());

    // Too young for the sweep, and the queue still fails once it is old.
    let sending = FaultyQueue::new(h.queue.clone(), h.faults.clone());
    let young = sweep(&*h.inner, &sending, created).await.unwrap();
    assert_eq!(young, SweepReport::default());
    let later = created + SWEEP_AGE + Duration::seconds(1);
    let failing = sweep(&*h.inner, &sending, later).await.unwrap();
    assert_eq!((failing.relayed, failing.failed), (0, 1));

    h.faults.restore();
    let swept = sweep(&*h.inner, &sending, later).await.unwrap();
    assert_eq!((swept.relayed, swept.failed), (1, 0));
    assert_eq!(bodies(&h.queue, QueueName::Events).await.len(), 1);
    assert_eq!(bodies(&h.queue, QueueName::Emails).await.len(), 1);
    assert_eq!(outbox_items(&*h.inner).await, 0);
    let again = sweep(&*h.inner, &sending, later).await.unwrap();
    assert_eq!(again, SweepReport::default());
}

#[tokio::test]
async fn relaying_a_key_another_relay_finished_sends_nothing() {
    let h = harness();
    let item = outbox("o1", Utc::now());
    h.inner
        .transact(item.write().unwrap().into_iter().collect())
        .await
        .unwrap();
    let key = outbox_key("o1");
    assert!(relay_key(&*h.inner, &*h.queue, &key).await.unwrap());
    assert!(!relay_key(&*h.inner, &*h.queue, &key).await.unwrap());
    assert_eq!(bodies(&h.queue, QueueName::Events).await.len(), 1);
    // A key that is not an outbox item is left alone.
    h.inner.transact(vec![change("B")]).await.unwrap();
    assert!(
        !relay_key(&*h.inner, &*h.queue, &Key::new("B", "X"))
            .await
            .unwrap()
    );
}

#[test]
fn an_empty_outbox_writes_nothing_and_oversized_messages_are_refused() {
    let mut outbox = Outbox::new("o1".into(), Utc::now());
    assert!(outbox.write().unwrap().is_none());
    let big = "x".repeat(MAX_MESSAGE_BYTES);
    assert!(outbox.push(QueueName::Emails, "j", &big).is_err());
    let item = outbox_item(&OutboxItem {
        id: "o1".into(),
        created_at: Utc::now(),
        messages: vec![],
    })
    .unwrap();
    assert!(is_outbox_item(&item));
    assert_eq!(item["gsi1pk"], PARTITION);
}
