//! The analytics benchmark (embedded store, in process): one partner with
//! 100,000 leads over 24 months (`BENCH_LEADS`), created through the
//! leads' own creation writes (which carry the analytics writes), some
//! moved between statuses through the leads' update writes; around it a
//! marketplace of 1,000 partners (`BENCH_PARTNERS`) each creating a lead
//! every month, and 5,000 completed sales with their aggregate writes.
//! Then both endpoints over the full 24 months, with p50/p99 latency and
//! the store round trips of each call, counted by a wrapper around the
//! store.
//!
//! `cargo run --release -p pc-analytics --example analytics_bench`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use chrono::{DateTime, Months, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_analytics::analytics_api::{get_marketplace_analytics, get_partner_analytics};
use pc_analytics::tally::{Sale, listing_created, merged, sale_completed};
use pc_http::identity::Role;
use pc_http::{AppState, Principal};
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store::{create_lead_writes, update_lead_writes};
use pc_leads::referral_commission::ChangedBy;
use pc_platform::context::EmbeddedParts;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

const MONTHS: u32 = 24;

fn system() -> (AppState, Arc<CountingStore>) {
    let store = Arc::new(CountingStore::new(Arc::new(EmbeddedStore::in_memory())));
    let parts = EmbeddedParts::new(store.clone(), pc_platform::config::Config::local_defaults());
    (parts.context, store)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

/// The `n`th of `total` leads of `partner`, spread evenly over the 24 months.
fn lead(partner: &str, n: usize, total: usize) -> LeadRecord {
    let month = (n * MONTHS as usize / total.max(1)) as u32;
    let at = base() + Months::new(month) + chrono::Duration::minutes((n % 40_000) as i64);
    let mut lead = LeadRecord::new(
        format!("{partner}L{n:07}"),
        partner.to_owned(),
        LeadEmail::parse(&format!("lead{n}@corp{}.example", n % 997)).unwrap(),
        LeadSource::ALL[n % 3],
        at,
    );
    lead.deal_status = DealStatus::ALL[n % 7];
    lead.contact.company = Some(format!("Company {}", n % 500));
    lead
}

async fn seed_partner(ctx: &AppState, id: &str) {
    let partner =
        PartnerRecord::new_active(id, &format!("Partner {id}"), &id.to_lowercase(), base());
    ctx.store
        .put(partner_item(&partner).unwrap(), None)
        .await
        .unwrap();
}

async fn seed(ctx: &AppState, leads: usize, partners: usize) {
    seed_partner(ctx, "BIG").await;
    // One lead per transaction: each moves the partner's own counters.
    for n in 0..leads {
        let writes = create_lead_writes(&lead("BIG", n, leads)).unwrap();
        ctx.store.transact(writes).await.unwrap();
    }
    // Every tenth lead changes status once, in its creation month.
    for n in (0..leads).step_by(10) {
        let before = lead("BIG", n, leads);
        let mut after = before.clone();
        after.deal_status = DealStatus::ALL[(n + 3) % 7];
        after.version = before.version + 1;
        if after.deal_status != before.deal_status {
            let writes = update_lead_writes(&before, &after, ChangedBy::Staff).unwrap();
            ctx.store.transact(writes).await.unwrap();
        }
    }
    for p in 0..partners {
        let id = format!("P{p:04}");
        seed_partner(ctx, &id).await;
        for m in 0..MONTHS as usize {
            let writes = create_lead_writes(&lead(&id, m, MONTHS as usize)).unwrap();
            ctx.store.transact(writes).await.unwrap();
        }
    }
    for s in 0..5_000usize {
        let seller = format!("P{:04}", s % partners.max(1));
        let buyer = format!("P{:04}", (s * 7 + 1) % partners.max(1));
        let at = base() + Months::new((s % MONTHS as usize) as u32);
        let mut writes = sale_completed(&Sale {
            seller_id: &seller,
            buyer_id: &buyer,
            price_cents: 10_000 + (s as i64 % 50) * 100,
            fee_cents: 2_000,
            completed_at: at,
        });
        writes.push(listing_created(at));
        ctx.store.transact(merged(writes)).await.unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn owner() -> Principal {
    Principal {
        user_id: "bench".into(),
        email: "bench@x.io".into(),
        name: "Bench".into(),
        role: Role::Owner,
        partner_id: None,
        session_id: "s".into(),
    }
}

fn report(name: &str, mut times: Vec<Duration>, mut trips: Vec<usize>) {
    times.sort();
    trips.sort();
    println!(
        "{name}: p50 {:.2} ms, p99 {:.2} ms, store round trips p50 {} max {}",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
        trips[trips.len() / 2],
        trips[trips.len() - 1],
    );
}

#[tokio::main]
async fn main() {
    let leads = env_or("BENCH_LEADS", 100_000);
    let partners = env_or("BENCH_PARTNERS", 1_000);
    let calls = env_or("BENCH_CALLS", 500);
    let (ctx, store) = system();
    let seeding = Instant::now();
    seed(&ctx, leads, partners).await;
    println!(
        "seeded {leads} leads of one partner over {MONTHS} months, {partners} other partners \
         with a lead a month and 5000 sales in {:.1} s ({} store round trips)",
        seeding.elapsed().as_secs_f64(),
        store.take()
    );
    let range: BTreeMap<String, String> = [("from", "2030-01"), ("to", "2031-12")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();

    let (mut times, mut trips) = (Vec::new(), Vec::new());
    let mut created = 0;
    for _ in 0..calls {
        store.take();
        let started = Instant::now();
        let answer = get_partner_analytics(
            State(ctx.clone()),
            owner(),
            Path("BIG".to_owned()),
            Query(range.clone()),
        )
        .await
        .unwrap();
        times.push(started.elapsed());
        trips.push(store.take());
        created = answer.0.totals.leads_created;
    }
    assert_eq!(created as usize, leads, "every lead is counted");
    println!("partner analytics, 24 months, {created} leads counted:");
    report("  GET /v1/analytics/partner/:id", times, trips);

    let (mut times, mut trips) = (Vec::new(), Vec::new());
    let mut totals = None;
    for _ in 0..calls {
        store.take();
        let started = Instant::now();
        let answer = get_marketplace_analytics(State(ctx.clone()), Query(range.clone()))
            .await
            .unwrap();
        times.push(started.elapsed());
        trips.push(store.take());
        totals = Some(answer.0.totals);
    }
    let totals = totals.expect("at least one call");
    assert_eq!(totals.active_partners as usize, partners + 1);
    println!(
        "marketplace analytics, 24 months, {} sales, {} active partners:",
        totals.sales, totals.active_partners
    );
    report("  GET /v1/analytics/marketplace", times, trips);
}
