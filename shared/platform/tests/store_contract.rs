//! The embedded store passes the store contract, in memory and on disk.

use std::sync::Arc;

use pc_platform::store::{contract, embedded::EmbeddedStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_contract() {
    contract::run_all(Arc::new(EmbeddedStore::in_memory()), "mem").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_disk_store_passes_the_contract_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    {
        let store = Arc::new(EmbeddedStore::open(&path).unwrap());
        contract::run_all(store, "disk").await;
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    use pc_platform::store::{Key, Store};
    let kept = reopened.get(&Key::new("disk#TX", "NEW1")).await.unwrap();
    assert!(kept.is_some(), "data survives a reopen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_passes_the_contract_and_its_commit_survives_reopening() {
    use pc_platform::store::{Key, Store};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    {
        let store = EmbeddedStore::open(&path).unwrap();
        let load = store.bulk_load();
        contract::run_serial(&load, "bulk").await;
        assert!(load.uncommitted_calls() > 0);
        assert!(
            store
                .get(&Key::new("bulk#TX", "NEW1"))
                .await
                .unwrap()
                .is_none(),
            "nothing is visible outside the load before its commit"
        );
        load.finish().unwrap();
        assert!(
            store
                .get(&Key::new("bulk#TX", "NEW1"))
                .await
                .unwrap()
                .is_some()
        );
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    let kept = reopened.get(&Key::new("bulk#TX", "NEW1")).await.unwrap();
    assert!(kept.is_some(), "a committed bulk load survives a reopen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_dropped_before_its_commit_loses_only_what_followed_the_last_one() {
    use pc_platform::store::{Key, Store, Write};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let item = |sk: &str| {
        json!({"pk": "B", "sk": sk, "entity": "t"})
            .as_object()
            .expect("an object")
            .clone()
    };
    {
        let store = EmbeddedStore::open(&path).unwrap();
        let load = store.bulk_load();
        load.transact_each(vec![vec![Write::put_new(item("1"))]])
            .await
            .unwrap();
        load.commit().unwrap();
        load.transact_each(vec![vec![Write::put_new(item("2"))]])
            .await
            .unwrap();
        assert!(
            load.get(&Key::new("B", "2")).await.unwrap().is_some(),
            "the load reads its own uncommitted writes"
        );
        // Dropped here without a commit, as a killed loader leaves it.
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    assert!(reopened.get(&Key::new("B", "1")).await.unwrap().is_some());
    assert!(reopened.get(&Key::new("B", "2")).await.unwrap().is_none());
    let load = reopened.bulk_load();
    load.transact_each(vec![vec![Write::put_new(item("2"))]])
        .await
        .unwrap();
    load.finish().unwrap();
    assert!(reopened.get(&Key::new("B", "2")).await.unwrap().is_some());
}
