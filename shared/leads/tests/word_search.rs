//! Word searches over the search entries: the same rows and totals as a
//! naive filter of every lead, whichever word the search reads, and a
//! number of store round trips bounded by the search's words and the read
//! limit rather than by how many leads carry its words.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_aws::DynamoStore;
use pc_aws::moto::fixture;
use pc_http::ListQuery;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::lead_search::LeadSearch;
use pc_leads::leads_api::LEADS_LIST;
use pc_leads::leads_store::{self, Listing, Window};
use pc_platform::store::Store;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

const PARTNERS: usize = 3;

/// Lead `n`: first names and last names whose shares differ enough that
/// some words fill several pages of entries and others fit in one.
fn lead(n: usize, base: DateTime<Utc>) -> LeadRecord {
    let first = match n % 10 {
        0..=5 => "Ann",
        6 => "Annabel",
        7 => "Anders",
        8 => "Bea",
        _ => "Lee",
    };
    let last = match n % 7 {
        0..=2 => "Lee",
        3 | 4 => "Leon",
        5 => "Smith",
        _ if n.is_multiple_of(5) => "Zed",
        _ => "Stone",
    };
    let mut lead = LeadRecord::new(
        format!("L{n:05}"),
        format!("P{}", n % PARTNERS),
        LeadEmail::parse(&format!("c{n}@x{}.io", n % 4)).unwrap(),
        LeadSource::Manual,
        // Several leads share a created date, so the id breaks ties.
        base + chrono::Duration::seconds((n / 3) as i64),
    );
    lead.contact.first_name = Some(first.into());
    lead.contact.last_name = Some(last.into());
    lead
}

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

async fn seeded(inner: Arc<dyn Store>, count: usize) -> (Arc<CountingStore>, Vec<LeadRecord>) {
    let leads: Vec<LeadRecord> = (0..count).map(|n| lead(n, base())).collect();
    (stored(inner, &leads).await, leads)
}

/// A store holding the partners and `leads`, its round trips counted from
/// here on.
async fn stored(inner: Arc<dyn Store>, leads: &[LeadRecord]) -> Arc<CountingStore> {
    let base = base();
    let store = Arc::new(CountingStore::new(inner));
    for p in 0..PARTNERS {
        let id = format!("P{p}");
        let partner = PartnerRecord::new_active(&id, &id, &id.to_lowercase(), base);
        store
            .put(partner_item(&partner).unwrap(), None)
            .await
            .unwrap();
    }
    let transactions = leads
        .iter()
        .map(|l| leads_store::create_lead_writes(l).unwrap())
        .collect();
    for outcome in store.transact_each(transactions).await.unwrap() {
        outcome.unwrap();
    }
    store.take();
    store
}

async fn search(
    store: &dyn Store,
    raw: &str,
    scope: Option<&str>,
    window: Window,
    read_limit: usize,
) -> Listing<LeadRecord> {
    let query = ListQuery::parse(Some(raw), &LEADS_LIST).unwrap();
    let plan = leads_store::plan_for(&query, scope);
    leads_store::list(store, &plan, window, read_limit, Some, |a, b| {
        b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
    })
    .await
    .unwrap()
}

fn ids(leads: &[LeadRecord]) -> Vec<&str> {
    leads.iter().map(|l| l.id.as_str()).collect()
}

/// The leads a search matches, newest first, by checking every lead.
fn naive<'a>(leads: &'a [LeadRecord], text: &str, partner: Option<&str>) -> Vec<&'a LeadRecord> {
    let search = LeadSearch::parse(text);
    let mut found: Vec<&LeadRecord> = leads
        .iter()
        .filter(|l| partner.is_none_or(|p| l.partner_id == p))
        .filter(|l| search.matches(l))
        .collect();
    found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    found
}

#[tokio::test]
async fn searches_answer_like_a_naive_filter_whichever_word_they_read() {
    let (store, leads) = seeded(Arc::new(EmbeddedStore::in_memory()), 3_000).await;
    // Common with common, common with rare, prefixes of several words,
    // one word, words in either order, a word nothing starts.
    let texts = [
        "ann lee",
        "lee ann",
        "an le",
        "ann zed",
        "zed ann",
        "annabel leon",
        "anders smith",
        "lee",
        "ann",
        "le an x1",
        "bea stone",
        "ann nobody",
        "x2 lee c1",
    ];
    let windows = [
        Window { skip: 0, take: 50 },
        Window {
            skip: 100,
            take: 25,
        },
    ];
    for text in texts {
        for partner in [None, Some("P1")] {
            let expected = naive(&leads, text, partner);
            for window in windows {
                let raw = format!("search={}&perPage=50", text.replace(' ', "%20"));
                let got = search(&*store, &raw, partner, window, 10_000).await;
                let want: Vec<&str> = expected
                    .iter()
                    .skip(window.skip)
                    .take(window.take)
                    .map(|l| l.id.as_str())
                    .collect();
                assert_eq!(got.total, expected.len(), "{text} ({partner:?}): total");
                assert!(!got.truncated, "{text}");
                assert_eq!(ids(&got.rows), want, "{text} ({partner:?}) {window:?}");
            }
        }
    }
}

/// The round trips of searches over `count` leads (2,200 or more, so
/// that "ann" and "lee" fill their first pages).
async fn check_round_trips(inner: Arc<dyn Store>, count: usize, ann_lee_trips: usize) {
    let (store, leads) = seeded(inner, count).await;
    let count = |word: &str| {
        leads
            .iter()
            .filter(|l| LeadSearch::parse(word).matches(l))
            .count()
    };
    // "ann" starts a word of 70 % of the leads, "zed" one of 3 %: the first page of
    // each word (2 round trips) shows "zed" complete, so nothing more is
    // read; then one batch read of the page's leads.
    assert!(count("ann") > 1_000 && count("zed") < 1_000);
    let page = Window { skip: 0, take: 50 };
    let found = search(&*store, "search=ann%20zed", None, page, 10_000).await;
    assert_eq!(found.total, naive(&leads, "ann zed", None).len());
    assert_eq!(store.take(), 3, "ann zed");

    // Both first pages full: at 3,000 leads "ann" has 2,100 entries,
    // "lee" 1,458 (900 leads have both). The first page of "lee" matches
    // the search more often (617 of 1,000 against 429), so "lee" is read
    // on: one more page, where "ann" would have taken two.
    assert!(count("lee") > 1_000 && count("lee") < 2_000);
    let found = search(&*store, "search=ann%20lee", None, page, 10_000).await;
    assert_eq!(found.total, naive(&leads, "ann lee", None).len());
    assert_eq!(store.take(), ann_lee_trips, "ann lee");

    // A read limit of 1,500 entries (150 rows): both first pages, 2,000
    // entries, already pass it, so nothing more is read and the answer
    // says it may miss rows.
    let found = search(&*store, "search=ann%20lee", None, page, 150).await;
    assert!(found.truncated);
    assert!(found.total < naive(&leads, "ann lee", None).len());
    assert_eq!(store.take(), 2 + 1, "cut short");
}

#[tokio::test]
async fn a_search_reads_its_rarest_word_in_bounded_round_trips() {
    // Two first pages, one more page of "lee", one batch read of leads.
    check_round_trips(Arc::new(EmbeddedStore::in_memory()), 3_000, 2 + 1 + 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_round_trips_are_the_same_on_dynamodb() {
    let f = fixture("word-search").await;
    let dynamo = DynamoStore::new(aws_sdk_dynamodb::Client::new(&f.sdk), &f.config.table_name);
    // Fewer leads (moto is slow to fill): "ann" and "lee" still fill
    // their first pages, and both then end within one more page.
    check_round_trips(Arc::new(dynamo), 2_200, 2 + 1 + 1).await;
}

/// When no entry of any word's first page matches, the shares cannot say
/// which word is rarer: the words are read on in step until one ends,
/// rather than guessing the longest and reading it to the limit.
#[tokio::test]
async fn a_search_whose_first_pages_match_nothing_reads_its_words_in_step() {
    // 6,000 leads carry "commonword" and 1,500 "rare"; only the 20
    // oldest carry both, so the newest pages of either match nothing.
    let named = |n: usize, first: &str, last: &str| {
        let mut lead = LeadRecord::new(
            format!("L{n:05}"),
            format!("P{}", n % PARTNERS),
            LeadEmail::parse(&format!("c{n}@x.io")).unwrap(),
            LeadSource::Manual,
            base() + chrono::Duration::seconds(n as i64),
        );
        lead.contact.first_name = Some(first.into());
        lead.contact.last_name = Some(last.into());
        lead
    };
    let leads: Vec<LeadRecord> = (0..7_520)
        .map(|n| match n {
            0..20 => named(n, "Commonword", "Rare"),
            20..1_520 => named(n, "Bea", "Rare"),
            _ => named(n, "Commonword", "Stone"),
        })
        .collect();
    let store = stored(Arc::new(EmbeddedStore::in_memory()), &leads).await;
    let page = Window { skip: 0, take: 50 };
    // Room for 4,000 entries: "commonword" alone would pass it (it is the
    // longer word, the old guess) and find nothing.
    let found = search(&*store, "search=commonword%20rare", None, page, 4_000).await;
    let expected = naive(&leads, "commonword rare", None);
    assert_eq!(expected.len(), 20);
    assert!(!found.truncated);
    assert_eq!(found.total, 20);
    assert_eq!(
        ids(&found.rows),
        expected.iter().map(|l| l.id.as_str()).collect::<Vec<_>>()
    );
    // Two first pages, the second page of each (where "rare" ends), one
    // batch read of the leads.
    assert_eq!(store.take(), 2 + 2 + 1);
}
