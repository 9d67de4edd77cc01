//! The browse index on both stores: a page by match costs the same store
//! calls however many leads are listed, and the index follows a listing
//! out of the market and back, idempotently.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_aws::DynamoStore;
use pc_aws::moto::fixture;
use pc_marketplace::browse_index::{IndexChange, industry_key, recount_writes};
use pc_marketplace::browse_index_worker::apply_all;
use pc_marketplace::browse_page::{Indexed, indexed_page};
use pc_marketplace::listing_store::{
    DelistedBy, ListedContact, ListingRecord, MarketplaceStatus, delist_item, listing_item,
};
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Store, Write};

const INDUSTRIES: [&str; 3] = ["Software", "Retail", "Finance"];

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn listing(n: usize, seller: &str) -> ListingRecord {
    ListingRecord {
        lead_id: format!("lead-{n:05}"),
        seller_id: seller.into(),
        buyer_id: None,
        marketplace_status: MarketplaceStatus::Listed,
        listing_price_cents: 1_000,
        view_count: 0,
        viewed_by: Vec::new(),
        quality_score: 50,
        reservation_id: None,
        contact: ListedContact {
            email: format!("l{n}@x.example"),
            industry: Some(INDUSTRIES[n % INDUSTRIES.len()].into()),
            title: Some(if n.is_multiple_of(2) { "CTO" } else { "Buyer" }.into()),
            ..Default::default()
        },
        listed_at: at() + Duration::seconds(n as i64),
        sold_at: None,
        delisted_by: None,
        version: 0,
        updated_at: at(),
        suggested_price_cents: None,
        suggestion_reasons: Vec::new(),
    }
}

async fn partner(store: &dyn Store, id: &str, icp: &[(&str, &str)]) {
    let mut p = PartnerRecord::new_active(id, id, id, at());
    p.icp = icp
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    store.put(partner_item(&p).unwrap(), None).await.unwrap();
}

/// `listings` listed leads of two sellers, counted, and the buyer's index.
async fn market(store: &dyn Store, listings: usize) {
    for seller in ["seller-a", "seller-b"] {
        partner(store, seller, &[]).await;
    }
    partner(
        store,
        "buyer",
        &[("industry", "Software"), ("title", "CTO")],
    )
    .await;
    let mut puts = Vec::new();
    for n in 0..listings {
        let seller = if n.is_multiple_of(2) {
            "seller-a"
        } else {
            "seller-b"
        };
        let l = listing(n, seller);
        puts.push(Write::put(listing_item(&l).unwrap()));
        if puts.len() == 25 {
            store.transact(std::mem::take(&mut puts)).await.unwrap();
        }
        let industry = industry_key(l.contact.industry.as_deref());
        let counts = recount_writes(&l.lead_id, None, Some((seller, industry)));
        store.transact(counts.unwrap().unwrap()).await.unwrap();
    }
    if !puts.is_empty() {
        store.transact(puts).await.unwrap();
    }
    apply_all(store, IndexChange::buyer("buyer")).await.unwrap();
}

/// The store calls of the first page by match (all, one industry), and
/// the page itself.
async fn first_pages(inner: Arc<dyn Store>, listings: usize) -> (usize, usize, Vec<String>, usize) {
    market(&*inner, listings).await;
    let counting = CountingStore::new(inner);
    counting.take();
    let Indexed::Page {
        listings: page,
        total,
        ..
    } = indexed_page(&counting, "buyer", None, 0, 50).await.unwrap()
    else {
        panic!("the buyer's index is built");
    };
    let all = counting.take();
    indexed_page(&counting, "buyer", Some("software"), 0, 50)
        .await
        .unwrap();
    let one_industry = counting.take();
    let ids = page.into_iter().map(|l| l.lead_id).collect();
    (all, one_industry, ids, total)
}

async fn moto_store(label: &str) -> Arc<dyn Store> {
    let f = fixture(label).await;
    Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&f.sdk),
        &f.config.table_name,
    ))
}

async fn check_constant_calls(small: Arc<dyn Store>, large: Arc<dyn Store>) {
    let (all_small, industry_small, ids, total) = first_pages(small, 40).await;
    let (all_large, industry_large, _, large_total) = first_pages(large, 1_200).await;
    assert_eq!(
        (all_small, industry_small),
        (3, 3),
        "partner + state + counts, the query, the listings"
    );
    assert_eq!((all_large, industry_large), (all_small, industry_small));
    assert_eq!((total, large_total), (40, 1_200));
    // Best match first (Software CTOs: every sixth lead), newest first.
    assert_eq!(ids[0], "lead-00036");
    assert_eq!(ids[1], "lead-00030");
}

#[tokio::test]
async fn a_page_costs_the_same_store_calls_at_any_size_embedded() {
    check_constant_calls(
        Arc::new(EmbeddedStore::in_memory()),
        Arc::new(EmbeddedStore::in_memory()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_costs_the_same_store_calls_at_any_size_on_dynamodb() {
    check_constant_calls(
        moto_store("browse-small").await,
        moto_store("browse-large").await,
    )
    .await;
}

/// The buyer's first page by match: its lead ids and total.
async fn page(store: &dyn Store) -> (Vec<String>, usize) {
    match indexed_page(store, "buyer", None, 0, 50).await.unwrap() {
        Indexed::Page {
            listings, total, ..
        } => (listings.into_iter().map(|l| l.lead_id).collect(), total),
        Indexed::NotReady { .. } => panic!("the buyer's index is built"),
    }
}

#[tokio::test]
async fn the_index_follows_a_listing_off_the_market_and_back_idempotently() {
    let store = EmbeddedStore::in_memory();
    market(&store, 6).await;
    assert_eq!(page(&store).await.1, 6);
    store
        .transact(vec![delist_item("lead-00000", DelistedBy::Seller, at())])
        .await
        .unwrap();
    // The message may come twice.
    for _ in 0..2 {
        apply_all(&store, IndexChange::listing("lead-00000"))
            .await
            .unwrap();
    }
    let (ids, total) = page(&store).await;
    assert_eq!(total, 5);
    assert!(!ids.contains(&"lead-00000".to_owned()));
    // Listed again: back once, for every active partner but its seller.
    let again = listing(0, "seller-a");
    store
        .put(listing_item(&again).unwrap(), None)
        .await
        .unwrap();
    for _ in 0..2 {
        apply_all(&store, IndexChange::listing("lead-00000"))
            .await
            .unwrap();
    }
    let (ids, total) = page(&store).await;
    assert_eq!(total, 6);
    assert_eq!(ids.iter().filter(|i| *i == "lead-00000").count(), 1);
    let seller_b = indexed_page(&store, "seller-b", None, 0, 50).await.unwrap();
    assert!(
        matches!(seller_b, Indexed::NotReady { .. }),
        "never browsed: no index"
    );
}
