//! The store contract: one suite every adapter must pass, the DynamoDB one
//! against a DynamoDB-compatible server included. Each check works under its
//! own partition prefix so runs can share a table.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    Condition, Guard, Index, Item, Key, Query, SortKey, Store, StoreError, Transaction, Update,
    Write,
};

fn item(v: Value) -> Item {
    v.as_object().expect("an object").clone()
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["sk"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs every check of the contract against `store`.
pub async fn run_all(store: Arc<dyn Store>, ns: &str) {
    run_serial(&*store, ns).await;
    concurrent_guards(store, ns).await;
}

/// Every check but the concurrent one, for a store borrowed by its caller
/// (a bulk load of the embedded store).
pub async fn run_serial(store: &dyn Store, ns: &str) {
    round_trip(store, ns).await;
    conditional_writes(store, ns).await;
    updates(store, ns).await;
    transactions(store, ns).await;
    transactions_in_bulk(store, ns).await;
    queries(store, ns).await;
    index_queries(store, ns).await;
    batch_get(store, ns).await;
    oversized_items(store, ns).await;
}

pub async fn round_trip(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#RT");
    let key = Key::new(&pk, "A");
    assert_eq!(store.get(&key).await.unwrap(), None);
    let it = item(
        json!({"pk": pk, "sk": "A", "entity": "t", "n": 3, "s": "héllo ✓",
        "b": true, "list": [1, "x"], "obj": {"k": "v"}, "nothing": null}),
    );
    store.put(it.clone(), None).await.unwrap();
    let got = store.get(&key).await.unwrap().expect("stored");
    for attr in ["pk", "sk", "entity", "n", "s", "b", "list", "obj"] {
        assert_eq!(got[attr], it[attr], "attribute {attr}");
    }
    store.delete(&key, None).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
    // Deleting what is not there is not an error, as in DynamoDB.
    store.delete(&key, None).await.unwrap();
}

pub async fn conditional_writes(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#COND");
    let first = item(json!({"pk": pk, "sk": "G", "entity": "guard", "owner": "a"}));
    store
        .put(first.clone(), Some(Condition::NotExists))
        .await
        .unwrap();
    let err = store
        .put(first.clone(), Some(Condition::NotExists))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
    let key = Key::new(&pk, "G");
    let err = store
        .delete(&key, Some(Condition::equals("owner", "b")))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
    store
        .delete(&key, Some(Condition::equals("owner", "a")))
        .await
        .unwrap();
    let err = store.put(first, Some(Condition::Exists)).await.unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
}

pub async fn updates(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#UPD");
    let key = Key::new(&pk, "C");
    let after = store
        .update(
            Update::new(key.clone())
                .set("entity", "counter")
                .add("count", 2),
        )
        .await
        .unwrap();
    assert_eq!(after["count"], json!(2));
    let after = store
        .update(
            Update::new(key.clone())
                .add("count", 3)
                .set("name", "x")
                .when(Condition::equals("count", 2)),
        )
        .await
        .unwrap();
    assert_eq!(after["count"], json!(5));
    assert_eq!(after["name"], json!("x"));
    let err = store
        .update(
            Update::new(key.clone())
                .add("count", 1)
                .when(Condition::equals("count", 2)),
        )
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
    let after = store
        .update(Update::new(key.clone()).remove("name"))
        .await
        .unwrap();
    assert!(!after.contains_key("name"));
    for bad in [
        Update::new(key.clone()).remove("pk"),
        Update::new(key.clone()).add("sk", 1),
    ] {
        let err = store.update(bad.clone()).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
    }
    let err = store
        .update(
            Update::new(Key::new(&pk, "NEW"))
                .set("a", 1)
                .when(Condition::Exists),
        )
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
    assert_eq!(store.get(&Key::new(&pk, "NEW")).await.unwrap(), None);
}

pub async fn transactions(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#TX");
    store
        .put(
            item(json!({"pk": pk, "sk": "EXISTING", "entity": "t", "v": 1})),
            None,
        )
        .await
        .unwrap();
    // The second write's condition fails: nothing at all may change.
    let err = store
        .transact(vec![
            Write::put_new(item(json!({"pk": pk, "sk": "NEW1", "entity": "t"}))),
            Write::put_new(item(
                json!({"pk": pk, "sk": "EXISTING", "entity": "t", "v": 2}),
            )),
            Write::Update(Update::new(Key::new(&pk, "CTR")).add("n", 1)),
        ])
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::TransactionCancelled { failed: vec![1] });
    // The same transaction with its guards named answers the names.
    const FIRST: Guard = Guard::new("first");
    const SECOND: Guard = Guard::new("second");
    let mut named = Transaction::new();
    named.guarded(
        FIRST,
        Write::put_new(item(json!({"pk": pk, "sk": "NEW1", "entity": "t"}))),
    );
    named.guarded(
        SECOND,
        Write::put_new(item(
            json!({"pk": pk, "sk": "EXISTING", "entity": "t", "v": 2}),
        )),
    );
    named.push(Write::Update(Update::new(Key::new(&pk, "CTR")).add("n", 1)));
    let err = named.commit(store).await.unwrap_err();
    assert!(err.failed(SECOND) && !err.failed(FIRST));
    assert_eq!(store.get(&Key::new(&pk, "NEW1")).await.unwrap(), None);
    assert_eq!(store.get(&Key::new(&pk, "CTR")).await.unwrap(), None);
    assert_eq!(
        store
            .get(&Key::new(&pk, "EXISTING"))
            .await
            .unwrap()
            .unwrap()["v"],
        json!(1)
    );

    store
        .transact(vec![
            Write::put_new(item(json!({"pk": pk, "sk": "NEW1", "entity": "t"}))),
            Write::Update(Update::new(Key::new(&pk, "CTR")).add("n", 1)),
            Write::Check {
                key: Key::new(&pk, "EXISTING"),
                condition: Condition::equals("v", 1),
            },
            Write::Delete {
                key: Key::new(&pk, "GONE"),
                condition: None,
            },
        ])
        .await
        .unwrap();
    assert!(store.get(&Key::new(&pk, "NEW1")).await.unwrap().is_some());
    assert_eq!(
        store.get(&Key::new(&pk, "CTR")).await.unwrap().unwrap()["n"],
        json!(1)
    );

    // The same key twice in one transaction is refused before anything happens.
    let err = store
        .transact(vec![
            Write::put(item(json!({"pk": pk, "sk": "DUP", "entity": "t"}))),
            Write::put(item(json!({"pk": pk, "sk": "DUP", "entity": "t"}))),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

/// [`Store::transact_each`] (the bulk import's path; the embedded store
/// commits the whole call at once): each transaction all or nothing, in
/// order, each seeing the ones before it, with the indexes in step.
pub async fn transactions_in_bulk(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#BULK");
    let gpk = format!("{ns}#BULKIDX");
    let ctr = Key::new(&pk, "CTR");
    let indexed = |sk: &str, status: &str| {
        item(json!({"pk": pk, "sk": sk, "entity": "t", "gsi1pk": gpk, "gsi1sk": status}))
    };
    let outcomes = store
        .transact_each(vec![
            vec![
                Write::put_new(indexed("A", "new#1")),
                Write::Update(Update::new(ctr.clone()).add("n", 1)),
            ],
            // Fails on the item the first one wrote: writes nothing.
            vec![
                Write::put_new(indexed("A", "won#2")),
                Write::put_new(indexed("B", "new#2")),
                Write::Update(Update::new(ctr.clone()).add("n", 10)),
            ],
            vec![
                Write::put_new(indexed("C", "new#3")),
                Write::Update(Update::new(ctr.clone()).add("n", 1)),
            ],
            // Moves A in the index, drops C from it, deletes nothing there.
            vec![
                Write::Update(Update::new(Key::new(&pk, "A")).set("gsi1sk", "won#1")),
                Write::Update(Update::new(Key::new(&pk, "C")).remove("gsi1pk")),
                Write::Update(
                    Update::new(ctr.clone())
                        .add("n", 1)
                        .when(Condition::equals("n", 2)),
                ),
            ],
            vec![
                Write::put_new(indexed("D", "new#4")),
                Write::Delete {
                    key: Key::new(&pk, "D0"),
                    condition: None,
                },
            ],
            vec![Write::Delete {
                key: Key::new(&pk, "D"),
                condition: Some(Condition::Exists),
            }],
        ])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 6);
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
    assert_eq!(
        outcomes[1],
        Err(StoreError::TransactionCancelled { failed: vec![0] })
    );
    assert!(outcomes[3..].iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(store.get(&ctr).await.unwrap().unwrap()["n"], json!(3));
    assert_eq!(store.get(&Key::new(&pk, "B")).await.unwrap(), None);
    assert_eq!(store.get(&Key::new(&pk, "D")).await.unwrap(), None);
    assert!(store.get(&Key::new(&pk, "C")).await.unwrap().is_some());
    let listed = store
        .query(&Query::partition(Index::Gsi1, &gpk))
        .await
        .unwrap();
    assert_eq!(sks(&listed.items), ["A"]);
    assert_eq!(listed.items[0]["gsi1sk"], json!("won#1"));
}

pub async fn queries(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#Q");
    let names = ["A#1", "A#2", "A#3", "B#1", "B#2", "C"];
    for sk in names {
        store
            .put(item(json!({"pk": pk, "sk": sk, "entity": "t"})), None)
            .await
            .unwrap();
    }
    // A neighbour partition whose name extends this one must not leak in.
    store
        .put(
            item(json!({"pk": format!("{pk}X"), "sk": "A#1", "entity": "t"})),
            None,
        )
        .await
        .unwrap();
    let q = |sk| Query::partition(Index::Table, &pk).sk(sk);
    let all = store.query(&q(SortKey::Any)).await.unwrap();
    assert_eq!(sks(&all.items), names);
    let cases: Vec<(SortKey, Vec<&str>)> = vec![
        (SortKey::Eq("B#1".into()), vec!["B#1"]),
        (SortKey::BeginsWith("A#".into()), vec!["A#1", "A#2", "A#3"]),
        (
            SortKey::Between("A#2".into(), "B#1".into()),
            vec!["A#2", "A#3", "B#1"],
        ),
        (SortKey::Lt("B#1".into()), vec!["A#1", "A#2", "A#3"]),
        (SortKey::Lte("B#1".into()), vec!["A#1", "A#2", "A#3", "B#1"]),
        (SortKey::Gt("B#1".into()), vec!["B#2", "C"]),
        (SortKey::Gte("B#1".into()), vec!["B#1", "B#2", "C"]),
    ];
    for (sk, expected) in cases {
        let page = store.query(&q(sk.clone())).await.unwrap();
        assert_eq!(sks(&page.items), expected, "{sk:?}");
    }
    let desc = store
        .query(&q(SortKey::BeginsWith("A#".into())).descending())
        .await
        .unwrap();
    assert_eq!(sks(&desc.items), ["A#3", "A#2", "A#1"]);

    for ascending in [true, false] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut query = q(SortKey::Any).limit(4).after(cursor.take());
            query.ascending = ascending;
            let page = store.query(&query).await.unwrap();
            assert!(page.items.len() <= 4);
            seen.extend(sks(&page.items));
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        if !ascending {
            expected.reverse();
        }
        assert_eq!(seen, expected, "paging ascending={ascending}");
    }
    // A cursor only resumes the key condition it came from.
    let a_page = store
        .query(&q(SortKey::BeginsWith("A#".into())).limit(1))
        .await
        .unwrap();
    let err = store
        .query(&q(SortKey::BeginsWith("B#".into())).after(a_page.cursor))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::InvalidCursor);
    let err = store
        .query(&q(SortKey::Any).after(Some(super::Cursor("not a cursor!".into()))))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::InvalidCursor);
}

pub async fn index_queries(store: &dyn Store, ns: &str) {
    let gpk = format!("{ns}#BYSTATUS");
    for (i, status) in ["new", "won", "new", "new"].iter().enumerate() {
        store
            .put(
                item(
                    json!({"pk": format!("{ns}#L{i}"), "sk": "LEAD", "entity": "lead",
                    "gsi1pk": gpk, "gsi1sk": format!("{status}#2024-0{}", i + 1)}),
                ),
                None,
            )
            .await
            .unwrap();
    }
    let q = Query::partition(Index::Gsi1, &gpk).sk(SortKey::BeginsWith("new#".into()));
    let page = store.query(&q).await.unwrap();
    let pks: Vec<_> = page
        .items
        .iter()
        .map(|i| i["pk"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        pks,
        [format!("{ns}#L0"), format!("{ns}#L2"), format!("{ns}#L3")]
    );

    let first = store.query(&q.clone().descending().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = store
        .query(&q.clone().descending().limit(2).after(first.cursor))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0]["pk"], json!(format!("{ns}#L0")));

    // Changing or dropping index attributes moves the item in the index.
    store
        .update(Update::new(Key::new(format!("{ns}#L0"), "LEAD")).set("gsi1sk", "won#2024-09"))
        .await
        .unwrap();
    store
        .update(Update::new(Key::new(format!("{ns}#L2"), "LEAD")).remove("gsi1pk"))
        .await
        .unwrap();
    let page = store.query(&q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0]["pk"], json!(format!("{ns}#L3")));
    store
        .delete(&Key::new(format!("{ns}#L3"), "LEAD"), None)
        .await
        .unwrap();
    assert!(store.query(&q).await.unwrap().items.is_empty());
}

/// An item over DynamoDB's 400 KB limit is refused as invalid, not stored.
pub async fn oversized_items(store: &dyn Store, ns: &str) {
    let key = Key::new(format!("{ns}#BIG"), "ITEM");
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    item.insert("entity".into(), "big".into());
    item.insert("body".into(), "x".repeat(super::MAX_ITEM_BYTES).into());
    let refused = store.put(item.clone(), None).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(store.get(&key).await.unwrap(), None);
    item.insert("body".into(), "x".repeat(300 * 1024).into());
    store.put(item, None).await.unwrap();
}

pub async fn batch_get(store: &dyn Store, ns: &str) {
    let pk = format!("{ns}#BG");
    for sk in ["1", "2", "3"] {
        store
            .put(item(json!({"pk": pk, "sk": sk, "entity": "t"})), None)
            .await
            .unwrap();
    }
    let keys = [
        Key::new(&pk, "3"),
        Key::new(&pk, "missing"),
        Key::new(&pk, "1"),
    ];
    let got = store.batch_get(&keys).await.unwrap();
    assert_eq!(sks(&got), ["3", "1"]);
    assert!(store.batch_get(&[]).await.unwrap().is_empty());
}

/// Twenty writers race for one guard item: exactly one wins.
pub async fn concurrent_guards(store: Arc<dyn Store>, ns: &str) {
    let pk = format!("{ns}#RACE");
    let mut tasks = Vec::new();
    for writer in 0..20 {
        let store = store.clone();
        let pk = pk.clone();
        tasks.push(tokio::spawn(async move {
            let guard = item(json!({"pk": pk, "sk": "GUARD", "entity": "guard", "writer": writer}));
            let counter = Update::new(Key::new(&pk, "WINS")).add("n", 1);
            store
                .transact(vec![Write::put_new(guard), Write::Update(counter)])
                .await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => wins += 1,
            Err(e) => assert!(
                e.is_condition_failure() || e == StoreError::TransactionConflict,
                "{e:?}"
            ),
        }
    }
    assert_eq!(wins, 1);
    let counter = store.get(&Key::new(&pk, "WINS")).await.unwrap().unwrap();
    assert_eq!(counter["n"], json!(1));
}
