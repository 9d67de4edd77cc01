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
