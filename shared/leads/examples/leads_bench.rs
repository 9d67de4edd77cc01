//! The leads benchmark (embedded store, in process): an import of 10,000
//! rows through the import worker's page processing, and the lead list
//! over 100,000 leads (100 partners × 1,000), with p50/p99 latency and the
//! store round trips of each call, counted by a wrapper around the store.
//!
//! `cargo run --release -p pc-leads --example leads_bench`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_api::identity::Role;
use pc_api::{AppState, Principal};
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::import_file::read_upload;
use pc_leads::import_store::{ImportTask, TaskStatus, get_task, paginate, store_import};
use pc_leads::import_worker::{ImportPageMessage, process_page};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_api::list_leads;
use pc_leads::leads_store::create_lead;
use pc_platform::context::EmbeddedParts;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

fn system() -> (AppState, Arc<CountingStore>) {
    let store = Arc::new(CountingStore::new(Arc::new(EmbeddedStore::in_memory())));
    let parts = EmbeddedParts::new(store.clone(), pc_platform::config::Config::local_defaults());
    (parts.context, store)
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
        created_at: ctx.clock.now(),
        updated_at: ctx.clock.now(),
    };
    store_import(&*ctx.store, &task, pages).await.unwrap();
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

async fn bench_list(partners: usize, per_partner: usize, calls: usize) {
    let (ctx, store) = system();
    let base: DateTime<Utc> = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let seeding = Instant::now();
    for p in 0..partners {
        let pid = format!("P{p:03}");
        seed_partner(&ctx, &pid).await;
        for i in 0..per_partner {
            let n = p * per_partner + i;
            let mut lead = LeadRecord::new(
                format!("L{n:07}"),
                pid.clone(),
                LeadEmail::parse(&format!("lead{n}@corp{}.example", n % 97)).unwrap(),
                LeadSource::Import,
                base + chrono::Duration::seconds(n as i64),
            );
            lead.deal_status = DealStatus::ALL[n % 7];
            lead.contact.company = Some(format!("Company {}", n % 500));
            lead.scheduled_date = n
                .is_multiple_of(2)
                .then(|| base + chrono::Duration::hours((n % 5000) as i64));
            create_lead(&*ctx.store, &lead).await.unwrap();
        }
    }
    println!(
        "seeded {} leads in {:.1} s",
        partners * per_partner,
        seeding.elapsed().as_secs_f64()
    );
    let overdue = pc_leads::overdue_filters(base + chrono::Duration::hours(2500)).to_string();
    let status = r#"[{"column":"dealStatus","operator":"eq","value":"scheduled"}]"#;
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
            "partner, search",
            Some("P007"),
            "search=company%2042".into(),
        ),
        (
            "staff, all leads (bounded read)",
            None,
            "perPage=50&page=3".into(),
        ),
    ];
    for (name, partner, query) in views {
        let who = principal(partner);
        let mut times = Vec::with_capacity(calls);
        let mut trips = Vec::with_capacity(calls);
        let mut total = 0;
        for _ in 0..calls {
            let before = store.calls() as u64;
            let started = Instant::now();
            let answer = list_leads(
                State(ctx.clone()),
                who.clone(),
                RawQuery(Some(query.clone())),
            )
            .await
            .unwrap();
            times.push(started.elapsed());
            trips.push(store.calls() as u64 - before);
            total = answer.0.meta.total;
        }
        times.sort();
        trips.sort();
        println!(
            "list {name}: total {total}, p50 {:.2} ms, p99 {:.2} ms, store round trips p50 {} max {}",
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
    bench_list(partners, 1_000, calls).await;
}
