//! DynamoStore on moto: the store contract, and the same answers as the
//! embedded store wherever the translation had to work around DynamoDB
//! (nulls, constant conditions, merged update actions, empty or backwards
//! sort keys, repeated batch keys) and for every invalid request.

use std::sync::Arc;
use std::time::Instant;

use pc_aws::DynamoStore;
use pc_platform::queue::QueueName;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{
    Condition, Cursor, Index, Item, Key, Query, SortKey, Store, StoreError, Update, Write, contract,
};
use serde_json::{Value, json};

use pc_aws::moto::{fixture, unique};

async fn dynamo_store(label: &str) -> DynamoStore {
    let f = fixture(label).await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&f.sdk), &f.config.table_name)
}

fn item(v: Value) -> Item {
    v.as_object().expect("an object").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_store_passes_the_contract() {
    let store = dynamo_store("store").await;
    let started = Instant::now();
    contract::run_all(Arc::new(store), &unique("contract")).await;
    eprintln!("store contract on moto: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_is_idempotent() {
    let f = fixture("again").await;
    let again = pc_aws::bootstrap(&f.sdk, &f.config, &format!("{}-", f.name))
        .await
        .unwrap();
    assert_eq!(again, f.config.queue_urls);
    assert_eq!(again.len(), QueueName::ALL.len());
}

/// Runs one scenario against a store and records every answer.
async fn semantics(store: &dyn Store, ns: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let pk = format!("{ns}#SEM");
    let key = Key::new(&pk, "A");
    store
        .put(
            item(
                json!({"pk": pk, "sk": "A", "entity": "t", "n": 5, "f": 2.5, "s": "m",
                "b": true, "z": null, "l": [1, 2], "m": {"k": "v"}}),
            ),
            None,
        )
        .await
        .unwrap();
    let conditions = vec![
        Condition::Exists,
        Condition::NotExists,
        Condition::missing("z"),
        Condition::present("z"),
        Condition::missing("absent"),
        Condition::present("n"),
        Condition::equals("z", Value::Null),
        Condition::not_equals("z", Value::Null),
        Condition::not_equals("z", 1),
        Condition::not_equals("absent", 1),
        Condition::not_equals("n", 5),
        Condition::equals("n", 5),
        Condition::equals("n", 5.0),
        Condition::equals("f", 2.5),
        Condition::GreaterThan("f".into(), json!(2)),
        Condition::less_than("s", "z"),
        Condition::less_than("s", 1),
        Condition::less_than("b", true),
        Condition::equals("b", true),
        Condition::equals("l", json!([1, 2])),
        Condition::equals("m", json!({"k": "v"})),
        Condition::LessOrEqual("n".into(), json!(5)),
        Condition::GreaterOrEqual("absent".into(), json!(0)),
        Condition::And(vec![]),
        Condition::Or(vec![]),
        Condition::Or(vec![Condition::equals("n", 4), Condition::missing("z")]),
        Condition::equals("n", 5).and(Condition::present("z")),
    ];
    for condition in &conditions {
        for target in [key.clone(), Key::new(&pk, "NONE")] {
            let result = store
                .transact(vec![Write::Check {
                    key: target.clone(),
                    condition: condition.clone(),
                }])
                .await;
            seen.push(format!("check {condition:?} on {}: {result:?}", target.sk));
        }
    }

    // Updates whose lists touch one attribute several times.
    let updates = [
        Update::new(key.clone()).set("c", 1).add("c", 2),
        Update::new(key.clone()).remove("c").add("c", 7),
        Update::new(key.clone()).add("d", 1).add("d", 1),
        Update::new(key.clone()).set("e", "x").remove("e"),
        Update::new(key.clone()).set("z", Value::Null).add("z", 3),
        Update::new(Key::new(&pk, "EMPTY")),
        Update::new(key.clone()).set("pk", "other"),
        Update::new(key.clone())
            .set("s2", "v")
            .when(Condition::missing("z")),
    ];
    for update in updates {
        let result = store.update(update.clone()).await;
        seen.push(format!("update {update:?}: {result:?}"));
    }
    seen.push(format!("after updates: {:?}", store.get(&key).await));
    seen.push(format!(
        "empty update: {:?}",
        store.get(&Key::new(&pk, "EMPTY")).await
    ));

    // Sort keys DynamoDB would refuse as such.
    for sk in ["B", "C", "D"] {
        store
            .put(item(json!({"pk": pk, "sk": sk, "entity": "t"})), None)
            .await
            .unwrap();
    }
    let sort_keys = [
        SortKey::Between("C".into(), "B".into()),
        SortKey::Between("".into(), "B".into()),
        SortKey::Between("B".into(), "".into()),
        SortKey::BeginsWith("".into()),
        SortKey::Eq("".into()),
        SortKey::Lt("".into()),
        SortKey::Lte("".into()),
        SortKey::Gt("".into()),
        SortKey::Gte("".into()),
    ];
    for sk in sort_keys {
        let page = store
            .query(&Query::partition(Index::Table, &pk).sk(sk.clone()))
            .await
            .map(|p| (p.items.len(), p.cursor.is_some()));
        seen.push(format!("query {sk:?}: {page:?}"));
    }
    let page = store
        .query(&Query::partition(Index::Table, &pk).limit(0))
        .await
        .map(|p| (p.items.len(), p.cursor.is_some()));
    seen.push(format!("limit 0: {page:?}"));
    let page = store
        .query(&Query::partition(Index::Table, &pk).limit(5))
        .await
        .map(|p| (p.items.len(), p.cursor.map(|c| c.decode())));
    seen.push(format!("exactly a full page: {page:?}"));

    let keys = [
        Key::new(&pk, "C"),
        Key::new(&pk, "B"),
        Key::new(&pk, "C"),
        Key::new(&pk, "nope"),
    ];
    let got = store.batch_get(&keys).await.map(|items| {
        items
            .iter()
            .map(|i| i["sk"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    });
    seen.push(format!("batch with a repeated key: {got:?}"));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_store_answers_as_the_embedded_store() {
    let dynamo = dynamo_store("same").await;
    let embedded = EmbeddedStore::in_memory();
    let ns = unique("same");
    let expected = semantics(&embedded, &ns).await;
    let actual = semantics(&dynamo, &ns).await;
    assert_eq!(expected.len(), actual.len());
    let differences: Vec<String> = expected
        .iter()
        .zip(&actual)
        .filter(|(e, a)| e != a)
        .map(|(e, a)| format!("embedded: {e}\n  dynamo: {a}"))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Every invalid request, answered with an error before anything is sent.
async fn invalid_requests(store: &dyn Store) -> Vec<StoreError> {
    let good = Key::new("P", "S");
    let mut errors = Vec::new();
    let mut push = |r: Result<(), StoreError>| errors.push(r.expect_err("invalid request refused"));
    push(store.get(&Key::new("", "S")).await.map(drop));
    push(store.get(&Key::new("P\0", "S")).await.map(drop));
    push(
        store
            .put(item(json!({"pk": "P", "entity": "t"})), None)
            .await,
    );
    push(store.put(item(json!({"pk": 1, "sk": "S"})), None).await);
    push(store.put(item(json!({"pk": "P", "sk": ""})), None).await);
    push(store.delete(&Key::new("P", ""), None).await);
    push(
        store
            .update(Update::new(Key::new("", "x")).set("a", 1))
            .await
            .map(drop),
    );
    push(
        store
            .update(Update::new(good.clone()).set("sk", "T"))
            .await
            .map(drop),
    );
    push(store.batch_get(&vec![good.clone(); 101]).await.map(drop));
    push(
        store
            .batch_get(&[good.clone(), Key::new("P", "")])
            .await
            .map(drop),
    );
    push(store.transact(vec![]).await);
    push(
        store
            .transact(
                (0..101)
                    .map(|i| Write::put(item(json!({"pk": "P", "sk": i.to_string()}))))
                    .collect(),
            )
            .await,
    );
    push(
        store
            .transact(vec![
                Write::put(item(json!({"pk": "P", "sk": "S"}))),
                Write::Delete {
                    key: good.clone(),
                    condition: None,
                },
            ])
            .await,
    );
    push(
        store
            .transact(vec![Write::put(item(json!({"sk": "S"})))])
            .await,
    );
    push(
        store
            .query(&Query::partition(Index::Table, ""))
            .await
            .map(drop),
    );
    push(
        store
            .query(&Query::partition(Index::Gsi1, "a\0b"))
            .await
            .map(drop),
    );
    let other = Cursor::from_item(&item(json!({"pk": "Q", "sk": "S"})), Index::Table);
    push(
        store
            .query(&Query::partition(Index::Table, "P").after(Some(other)))
            .await
            .map(drop),
    );
    let table_cursor = Cursor::from_item(&item(json!({"pk": "P", "sk": "S"})), Index::Table);
    push(
        store
            .query(&Query::partition(Index::Gsi3, "P").after(Some(table_cursor)))
            .await
            .map(drop),
    );
    push(
        store
            .query(&Query::partition(Index::Table, "P").after(Some(Cursor("%%%".into()))))
            .await
            .map(drop),
    );
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_get_the_embedded_store_errors() {
    let dynamo = dynamo_store("invalid").await;
    let expected = invalid_requests(&EmbeddedStore::in_memory()).await;
    let actual = invalid_requests(&dynamo).await;
    assert_eq!(actual, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_past_one_page_of_dynamodb() {
    let store = dynamo_store("big").await;
    let pk = unique("big");
    // About 2.4 MB: DynamoDB (and moto) cut query pages at 1 MB.
    let blob = "x".repeat(300_000);
    for i in 0..8 {
        store
            .put(
                item(json!({"pk": pk, "sk": format!("{i:02}"), "entity": "t", "blob": blob})),
                None,
            )
            .await
            .unwrap();
    }
    let all = store
        .query(&Query::partition(Index::Table, &pk))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 8);
    assert!(all.cursor.is_none());
    let first = store
        .query(&Query::partition(Index::Table, &pk).limit(6))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 6);
    let rest = store
        .query(
            &Query::partition(Index::Table, &pk)
                .limit(6)
                .after(first.cursor),
        )
        .await
        .unwrap();
    let sks: Vec<_> = rest.items.iter().map(|i| i["sk"].clone()).collect();
    assert_eq!(sks, [json!("06"), json!("07")]);
    assert!(rest.cursor.is_none());
}
