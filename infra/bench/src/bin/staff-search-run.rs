//! Staff search over many leads, in process:
//! `staff-search-run [--leads 250000,1000000] [--partners 100] [--calls 100]
//! [--store DIR|moto] [--keep FILE] [--seed-batch 10000]`.
//!
//! For each size of `--leads` in turn (the store grows from one to the
//! next), seeds leads up to that size of `partners` partners through the leads' own
//! creation writes (one transaction per lead, as the create route writes
//! it), handed to the store in bulk with `Store::transact_each`,
//! `--seed-batch` leads at a time: the embedded store commits each call in
//! one commit of its file, so larger batches rewrite fewer pages (seeding
//! a million leads is mostly page copies) for more memory. The store is an
//! unsynced file in `DIR` (default: the system's temporary directory; the
//! file is unlinked while open, so its space comes back however the run
//! ends), or, with `--store moto`, a fresh DynamoDB table on moto (keep
//! `--leads` small there: moto takes some 30 ms a lead).
//!
//! With `--keep FILE` the store is that file and stays: a size whose last
//! lead is already there is not seeded again, so a run can seed a million
//! leads once (on a busy machine) and a later run measure them (on a quiet
//! one). Delete the file when done: a million leads take some 20 GB.
//!
//! Then each search is asked `calls` times through the list handler as a
//! staff caller, over a store that counts round trips; prints the total,
//! p50/p99 and the round trips of each.
//!
//! The leads are those of the earlier leads benchmark: 40 first names (4
//! of them starting "ann": 10 % of the leads), 20 last names (5 % each),
//! an email `<first>.<last><n>@corp<n % 997>.example` and a company
//! `Company <n % 500>`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_aws::DynamoStore;
use pc_http::identity::Role;
use pc_http::{AppState, Principal};
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_api::list_leads;
use pc_leads::leads_store;
use pc_platform::EmbeddedParts;
use pc_platform::config::Config;
use pc_platform::store::Store;
use pc_platform::store::counting::CountingStore;
use pc_platform::store::embedded::EmbeddedStore;

struct Options {
    leads: Vec<usize>,
    partners: usize,
    calls: usize,
    store: Option<String>,
    keep: Option<std::path::PathBuf>,
    /// Leads handed to the store per `transact_each` call.
    seed_batch: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        leads: vec![1_000_000],
        partners: 100,
        calls: 100,
        store: None,
        keep: None,
        seed_batch: 10_000,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--leads" => o.leads = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--partners" => o.partners = value.parse::<usize>()?.max(1),
            "--calls" => o.calls = value.parse::<usize>()?.max(1),
            "--store" => o.store = Some(value.to_owned()),
            "--keep" => o.keep = Some(value.into()),
            "--seed-batch" => o.seed_batch = value.parse::<usize>()?.max(1),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

/// The store, and with `--keep` the file to sync after seeding.
async fn inner_store(o: &Options) -> anyhow::Result<(Arc<dyn Store>, Option<Arc<EmbeddedStore>>)> {
    if let Some(path) = &o.keep {
        let store = Arc::new(EmbeddedStore::open_unsynced(path)?);
        return Ok((store.clone(), Some(store)));
    }
    let choice = o.store.as_deref();
    if choice == Some("moto") {
        let f = pc_aws::moto::fixture("staff-search").await;
        let client = aws_sdk_dynamodb::Client::new(&f.sdk);
        return Ok((
            Arc::new(DynamoStore::new(client, &f.config.table_name)),
            None,
        ));
    }
    let dir = choice.map_or_else(std::env::temp_dir, Into::into);
    let path = dir.join(format!("staff-search-{}.redb", std::process::id()));
    let store = EmbeddedStore::open_unsynced(&path)?;
    // Unlinked while open: the space comes back when the run ends.
    let _ = std::fs::remove_file(&path);
    Ok((Arc::new(store), None))
}

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

fn bench_lead(n: usize, partners: usize, base: DateTime<Utc>) -> anyhow::Result<LeadRecord> {
    let first = FIRST[n % FIRST.len()];
    let last = LAST[(n / FIRST.len()) % LAST.len()];
    let email = format!("{first}.{last}{n}@corp{}.example", n % 997);
    let mut lead = LeadRecord::new(
        format!("L{n:07}"),
        format!("P{:03}", n % partners),
        LeadEmail::parse(&email).map_err(|e| anyhow::anyhow!("{email}: {e:?}"))?,
        LeadSource::ALL[n % 3],
        base + chrono::Duration::seconds(n as i64),
    );
    lead.deal_status = DealStatus::ALL[n % 7];
    lead.contact.first_name = Some(first.to_owned());
    lead.contact.last_name = Some(last.to_owned());
    lead.contact.company = Some(format!("Company {}", n % 500));
    Ok(lead)
}

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("a valid date")
        .to_utc()
}

async fn seed_partners(store: &dyn Store, partners: usize) -> anyhow::Result<()> {
    for p in 0..partners {
        let id = format!("P{p:03}");
        let partner = PartnerRecord::new_active(&id, &format!("Partner {id}"), &id, base());
        store.put(partner_item(&partner)?, None).await?;
    }
    Ok(())
}

/// Seeds leads `from..to`, unless the last of them is already there (a
/// kept store seeded by an earlier run).
async fn seed(store: &dyn Store, o: &Options, from: usize, to: usize) -> anyhow::Result<()> {
    let partners = o.partners;
    if to > from
        && store
            .get(&pc_leads::keys::lead_key(
                &bench_lead(to - 1, partners, base())?.id,
            ))
            .await?
            .is_some()
    {
        println!("leads {from}..{to} already seeded");
        return Ok(());
    }
    let started = Instant::now();
    let mut batch = Vec::with_capacity(o.seed_batch);
    for n in from..to {
        batch.push(leads_store::create_lead_writes(&bench_lead(
            n,
            partners,
            base(),
        )?)?);
        if batch.len() == o.seed_batch || n + 1 == to {
            for outcome in store.transact_each(std::mem::take(&mut batch)).await? {
                outcome?;
            }
        }
        if (n + 1) % 100_000 == 0 {
            eprintln!(
                "seeded {} leads in {:.0} s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "seeded leads {from}..{to} of {partners} partners in {:.1} s ({:.0} leads/s)",
        started.elapsed().as_secs_f64(),
        (to - from) as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn staff() -> Principal {
    Principal {
        user_id: "bench".into(),
        email: "bench@x.io".into(),
        name: "Bench".into(),
        role: Role::Admin,
        partner_id: None,
        session_id: "s".into(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The searches: common with common, common with rare, rare with rare,
/// and one word alone, with the leads their words start a word of.
const SEARCHES: [(&str, &str); 8] = [
    ("ann lee", "10 % × 5 %: 5,000 leads"),
    ("anna smith", "5 % × 5 %: 2,500"),
    ("company example", "every lead × every lead"),
    ("ann corp996", "10 % × 0.1 %"),
    ("lee 499", "5 % × 0.2 % (company 499)"),
    ("zoe lee123", "2.5 % × lee123, lee1230-9, lee12300-99"),
    ("annabel", "one word, 2.5 %"),
    ("ann", "one word, 10 %"),
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let (inner, kept) = inner_store(&o).await?;
    let counting = Arc::new(CountingStore::new(inner));
    seed_partners(&*counting, o.partners).await?;
    let ctx: AppState = EmbeddedParts::new(counting.clone(), Config::local_defaults()).context;
    let mut seeded = 0;
    for &size in &o.leads {
        seed(&*counting, &o, seeded, size.max(seeded)).await?;
        seeded = size.max(seeded);
        if let Some(kept) = &kept {
            kept.sync()?;
        }
        println!("\n{seeded} leads, {} calls each", o.calls);
        measure(&ctx, &counting, o.calls).await?;
    }
    Ok(())
}

async fn measure(ctx: &AppState, counting: &CountingStore, calls: usize) -> anyhow::Result<()> {
    println!(
        "{:<18} {:<42} {:>9} {:>9} {:>9} {:>11}",
        "search", "words match", "total", "p50 ms", "p99 ms", "round trips"
    );
    for (text, about) in SEARCHES {
        let query = format!("search={}", text.replace(' ', "%20"));
        let mut times = Vec::with_capacity(calls);
        let mut trips = Vec::with_capacity(calls);
        let mut meta = None;
        for _ in 0..calls {
            counting.take();
            let started = Instant::now();
            let answer = list_leads(State(ctx.clone()), staff(), RawQuery(Some(query.clone())))
                .await
                .map_err(|e| anyhow::anyhow!("{text}: {e:?}"))?;
            times.push(started.elapsed());
            trips.push(counting.take());
            meta = Some(answer.0.meta);
        }
        times.sort();
        trips.sort();
        let meta = meta.expect("at least one call");
        println!(
            "{:<18} {:<42} {:>9} {:>9.1} {:>9.1} {:>5}-{:<5}",
            format!("\"{text}\""),
            about,
            format!(
                "{}{}",
                meta.total,
                if meta.truncated { " (cut)" } else { "" }
            ),
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0,
            trips[0],
            trips[trips.len() - 1]
        );
    }
    Ok(())
}
