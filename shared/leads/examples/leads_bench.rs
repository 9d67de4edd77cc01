//! The leads benchmark (embedded store, in process): an import of 10,000
//! rows through the import worker's page processing, and the lead list
//! over 1,000,000 leads (100 partners × 10,000; `BENCH_LEADS`,
//! `BENCH_PARTNERS`), partner and staff views, searches and status
//! filters, with p50/p99 latency and the store round trips of each call,
//! counted by a wrapper around the store. The leads are seeded through
//! the leads' own creation writes, several leads per transaction.
//!
//! `cargo run --release -p pc-leads --example leads_bench`; with
//! `BENCH_STORE_DIR=<dir>` the store is an unsynced file there instead of
//! memory (needed for the million leads on a machine under 32 GB).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_http::identity::Role;
use pc_http::{AppState, Principal};
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::import_file::read_upload;
use pc_leads::import_store::{ImportTask, TaskStatus, get_task, paginate, store_import};
use pc_leads::import_worker::{ImportPageMessage, process_page};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_api::list_leads;
use pc_leads::leads_store;
use pc_platform::context::EmbeddedParts;
use pc_platform::outbox::Outbox;
use pc_platform::store::MAX_TRANSACTION_WRITES;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

/// The benchmark's system over a fresh store: in memory, or in an
/// unsynced file under `BENCH_STORE_DIR` when set (a million leads and
/// their index entries do not fit in memory).
fn system() -> (AppState, Arc<CountingStore>) {
    let embedded = match std::env::var_os("BENCH_STORE_DIR") {
        Some(dir) => {
            let path = std::path::Path::new(&dir).join(format!("leads-bench-{}.redb", ctx_nonce()));
            let store =
                EmbeddedStore::open_unsynced(&path).expect("the benchmark store file opens");
            // Unlinked while open: the space comes back when the run ends,
            // however it ends (where the platform refuses, the file stays).
            let _ = std::fs::remove_file(&path);
            store
        }
        None => EmbeddedStore::in_memory(),
    };
    let store = Arc::new(CountingStore::new(Arc::new(embedded)));
    let parts = EmbeddedParts::new(store.clone(), pc_platform::config::Config::local_defaults());
    (parts.context, store)
}

/// A name part unique to one store of this run.
fn ctx_nonce() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

async fn seed_partner(ctx: &AppState, id: &str) {
    let now = ctx.clock.now();
    let partner = PartnerRecord::new_active(id, &format!("Partner {id}"), &id.to_lowercase(), now);
    ctx.store
        .put(partner_item(&partner).unwrap(), None)
        .await
        .unwrap();
}

fn principal(partner: Option<&str>) -> Principal {
    Principal {
        user_id: "bench".into(),
        email: "bench@x.io".into(),
        name: "Bench".into(),
        role: Role::Admin,
        partner_id: partner.map(str::to_owned),
        session_id: "s".into(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn bench_import(rows: usize) {
    let (ctx, store) = system();
    seed_partner(&ctx, "P0").await;
    let mut csv = String::from("Email,First Name,Last Name,Company,Phone\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "lead{i}@corp{}.example,First{i},Last{i},Company {},+1 555 {i:04}\n",
            i % 50,
            i % 300
        ));
    }
    let started = Instant::now();
    let parsed = read_upload("bench.csv", csv.as_bytes()).unwrap();
    let total = parsed.len();
    let pages = paginate(parsed);
    let task = ImportTask {
        id: "T1".into(),
        partner_id: "P0".into(),
        status: TaskStatus::Pending,
        total,
        processed: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        errors: vec![],
        failure_reason: None,
        pages: pages.len(),
        pages_done: 0,
        created_by: "bench".into(),
        created_by_name: "Bench".into(),
        created_by_staff: false,
        created_at: ctx.clock.now(),
        updated_at: ctx.clock.now(),
    };
    let no_first_message = Outbox::new("bench-import".into(), ctx.clock.now());
    store_import(&*ctx.store, &task, pages, &no_first_message)
        .await
        .unwrap();
    let upload_time = started.elapsed();
    let before = store.calls() as u64;
    for page in 0..task.pages {
        process_page(
            &ctx,
            &ImportPageMessage {
                task_id: "T1".into(),
                page,
            },
        )
        .await
        .unwrap();
    }
    let total = started.elapsed();
    let calls = store.calls() as u64 - before;
    let done = get_task(&*ctx.store, "T1").await.unwrap().unwrap();
    println!(
        "import {rows} rows: upload+parse+store {:.0} ms, all {} pages {:.2} s ({:.0} rows/s), created {}, store calls {} ({:.1}/row)",
        upload_time.as_secs_f64() * 1000.0,
        task.pages,
        total.as_secs_f64(),
        rows as f64 / total.as_secs_f64(),
        done.created,
        calls,
        calls as f64 / rows as f64
    );
}

/// First names: a few start with "ann", as in a real contact list.
const FIRST: [&str; 40] = [
    "Ann", "Anna", "Annabel", "Anne", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hugo",
    "Ines", "Jonas", "Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven",
    "Tara", "Umar", "Vera", "Wen", "Xavier", "Yara", "Zoe", "Aaron", "Beth", "Cyril", "Dana",
    "Emil", "Fiona", "Gus", "Hana", "Igor", "Jade", "Karl",
];
const LAST: [&str; 20] = [
    "Lee", "Smith", "Garcia", "Novak", "Okafor", "Rossi", "Tanaka", "Muller", "Silva", "Kowalski",
    "Nguyen", "Haddad", "Larsen", "Moreau", "Petrov", "Quispe", "Reyes", "Sato", "Weber", "Young",
];

fn bench_lead(n: usize, partners: usize, base: DateTime<Utc>) -> LeadRecord {
    let first = FIRST[n % FIRST.len()];
    let last = LAST[(n / FIRST.len()) % LAST.len()];
    let mut lead = LeadRecord::new(
        format!("L{n:07}"),
        format!("P{:03}", n % partners),
        LeadEmail::parse(&format!("{first}.{last}{n}@corp{}.example", n % 997)).unwrap(),
        LeadSource::ALL[n % 3],
        base + chrono::Duration::seconds(n as i64),
    );
    lead.deal_status = DealStatus::ALL[n % 7];
    lead.contact.first_name = Some(first.to_owned());
    lead.contact.last_name = Some(last.to_owned());
    lead.contact.company = Some(format!("Company {}", n % 500));
    lead.scheduled_date = n
        .is_multiple_of(2)
        .then(|| base + chrono::Duration::hours((n % 5000) as i64));
    lead
}

/// Seeds `total` leads over `partners` partners through the leads' own
/// creation writes, several leads per transaction: consecutive leads
/// belong to different partners, so no transaction touches a partner's
/// counters twice (their marks in the month's active-partner shards are
/// merged into one write per shard).
async fn seed_leads(ctx: &AppState, partners: usize, total: usize, base: DateTime<Utc>) {
    for p in 0..partners {
        seed_partner(ctx, &format!("P{p:03}")).await;
    }
    let mut writes = Vec::new();
    let mut in_batch = 0;
    for n in 0..total {
        let lead = bench_lead(n, partners, base);
        let lead_writes = leads_store::create_lead_writes(&lead).unwrap();
        if writes.len() + lead_writes.len() > MAX_TRANSACTION_WRITES || in_batch == partners {
            ctx.store
                .transact(pc_analytics::tally::merged(std::mem::take(&mut writes)))
                .await
                .unwrap();
            in_batch = 0;
        }
        writes.extend(lead_writes);
        in_batch += 1;
    }
    if !writes.is_empty() {
        ctx.store
            .transact(pc_analytics::tally::merged(writes))
            .await
            .unwrap();
    }
}

async fn bench_list(partners: usize, total: usize, calls: usize) {
    let (ctx, store) = system();
    let base: DateTime<Utc> = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let seeding = Instant::now();
    seed_leads(&ctx, partners, total, base).await;
    println!(
        "seeded {total} leads over {partners} partners in {:.1} s ({} store round trips)",
        seeding.elapsed().as_secs_f64(),
        store.take()
    );
    let overdue = pc_leads::overdue_filters(base + chrono::Duration::hours(2500)).to_string();
    let status = r#"[{"column":"dealStatus","operator":"eq","value":"scheduled"}]"#;
    let statuses = r#"[{"column":"dealStatus","operator":"in","value":["new","in_touch"]}]"#;
    let views: Vec<(&str, Option<&str>, String)> = vec![
        (
            "partner, default (createdAt desc)",
            Some("P007"),
            "perPage=50".into(),
        ),
        (
            "partner, one status",
            Some("P007"),
            format!("filter={}", urlencode(status)),
        ),
        (
            "partner, overdue",
            Some("P007"),
            format!("filter={}&sort=scheduledDate:asc", urlencode(&overdue)),
        ),
        (
            "partner, search \"ann lee\"",
            Some("P007"),
            "search=ann%20lee".into(),
        ),
        ("staff, all leads, page 3", None, "perPage=50&page=3".into()),
        (
            "staff, one status",
            None,
            format!("filter={}", urlencode(status)),
        ),
        (
            "staff, two statuses, page 20",
            None,
            format!("filter={}&page=20", urlencode(statuses)),
        ),
        ("staff, search \"annabel\"", None, "search=annabel".into()),
        ("staff, search \"ann lee\"", None, "search=ann%20lee".into()),
        (
            "staff, search exact email",
            None,
            "search=annabel.lee2%40corp2.example".into(),
        ),
        (
            "staff, one status sorted by company (not a key: read limit)",
            None,
            format!("filter={}&sort=company:asc", urlencode(status)),
        ),
    ];
    for (name, partner, query) in views {
        let who = principal(partner);
        let mut times = Vec::with_capacity(calls);
        let mut trips = Vec::with_capacity(calls);
        let mut meta = None;
        for _ in 0..calls {
            store.take();
            let started = Instant::now();
            let answer = list_leads(
                State(ctx.clone()),
                who.clone(),
                RawQuery(Some(query.clone())),
            )
            .await
            .unwrap();
            times.push(started.elapsed());
            trips.push(store.take());
            meta = Some(answer.0.meta);
        }
        times.sort();
        trips.sort();
        let meta = meta.expect("at least one call");
        println!(
            "list {name}: total {}{}, p50 {:.2} ms, p99 {:.2} ms, store round trips p50 {} max {}",
            meta.total,
            if meta.truncated { " (truncated)" } else { "" },
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0,
            trips[trips.len() / 2],
            trips[trips.len() - 1]
        );
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rows = std::env::var("BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let partners = std::env::var("BENCH_PARTNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let calls = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    bench_import(rows).await;
    let leads = std::env::var("BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    bench_list(partners, leads, calls).await;
}
