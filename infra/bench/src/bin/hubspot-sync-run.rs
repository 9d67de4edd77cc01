//! The HubSpot sync benchmark: a full sync of many leads into the fake
//! HubSpot under HubSpot's rate limit (requests per 10-second window, on
//! the real clock, so the run takes the time the limit imposes), then an
//! incremental sync after some lead changes. Reports the wall time, the
//! requests HubSpot received and the 429s it answered, and checks that
//! every lead has exactly one deal.
//!
//! `cargo run --release -p pc-bench --bin hubspot-sync-run -- --leads 10000 --limit 100 --changes 50 --workers 4`

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_crm::connection::ConnectionRecord;
use pc_crm::sync_api::begin_sync;
use pc_crm::sync_tasks::{SyncMode, SyncStatus, get_task};
use pc_crm::sync_worker::sync_leads_worker;
use pc_crm::token_cipher::TokenCipher;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_leads::referral_commission::ChangedBy;
use pc_platform::config::Config;
use pc_platform::crm::{CrmClient, ObjectType};
use pc_platform::queue::QueueName;
use pc_platform::store::Store;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::{AppState, EmbeddedParts};

const REDIRECT: &str = "http://127.0.0.1:3000/v1/integrations/hubspot/callback";
const PARTNER: &str = "bench-partner";

struct Options {
    leads: usize,
    limit: i64,
    changes: usize,
    workers: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        leads: 10_000,
        limit: 100,
        changes: 50,
        workers: 4,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--leads" => o.leads = value.parse()?,
            "--limit" => o.limit = value.parse()?,
            "--changes" => o.changes = value.parse()?,
            "--workers" => o.workers = value.parse::<usize>()?.max(1),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

/// Works `sync-leads` with `workers` receivers until it is empty.
async fn work_queue(parts: &EmbeddedParts, workers: usize) -> anyhow::Result<()> {
    let runs = (0..workers).map(|_| {
        let (ctx, queue) = (parts.context.clone(), parts.queue.clone());
        tokio::spawn(async move {
            loop {
                let batch = queue.receive(QueueName::SyncLeads, 1).await?;
                let Some(message) = batch.into_iter().next() else {
                    if queue.pending(QueueName::SyncLeads).await? == 0 {
                        return anyhow::Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                match sync_leads_worker(&ctx, &message).await {
                    Ok(()) => queue.ack(QueueName::SyncLeads, &message).await?,
                    Err(e) => {
                        eprintln!("page failed, retried: {e}");
                        queue
                            .nack(QueueName::SyncLeads, &message, &e.to_string())
                            .await?;
                    }
                }
            }
        })
    });
    for run in futures::future::join_all(runs).await {
        run??;
    }
    Ok(())
}

async fn requests(parts: &EmbeddedParts, portal: &str) -> anyhow::Result<(i64, i64)> {
    let state = parts
        .hubspot
        .portal(portal)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no portal"))?;
    Ok((state.requests, state.rate_limited))
}

async fn run_sync(
    parts: &EmbeddedParts,
    mode: SyncMode,
    workers: usize,
) -> anyhow::Result<Duration> {
    let ctx: &AppState = &parts.context;
    let started = Instant::now();
    let task_id = begin_sync(ctx, PARTNER, mode)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    work_queue(parts, workers).await?;
    let task = get_task(&*ctx.store, &task_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no task"))?;
    anyhow::ensure!(
        task.status == SyncStatus::Completed,
        "task {:?}",
        task.status
    );
    println!(
        "{mode:?} sync: total {}, synced {}, failed {}, conflicts {}",
        task.total, task.synced, task.failed, task.conflicts
    );
    Ok(started.elapsed())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    let parts = EmbeddedParts::new(store, Config::local_defaults());
    let ctx = parts.context.clone();
    let now = ctx.clock.now();
    ctx.store
        .put(
            partner_item(&PartnerRecord::new_active(PARTNER, "Bench", PARTNER, now))?,
            None,
        )
        .await?;
    let seeding = Instant::now();
    let mut leads = Vec::with_capacity(o.leads);
    for i in 0..o.leads {
        let email =
            LeadEmail::parse(&format!("lead{i}@buyer.example")).map_err(anyhow::Error::msg)?;
        let mut lead = LeadRecord::new(
            format!("bench-lead-{i:06}"),
            PARTNER.into(),
            email,
            LeadSource::Manual,
            now,
        );
        lead.contact.company = Some(format!("Buyer {i}"));
        leads_store::create(&*ctx.store, &lead).await?;
        leads.push(lead.id);
    }
    println!(
        "seeded {} leads in {:.1} s",
        o.leads,
        seeding.elapsed().as_secs_f64()
    );

    let hubspot = parts.hubspot.clone();
    let (portal, code) = hubspot.consent(REDIRECT, None).await?;
    let tokens = hubspot.exchange_code(&code, REDIRECT).await?;
    let pipeline = hubspot
        .list_pipelines(&tokens.access_token)
        .await?
        .remove(0);
    let cipher = TokenCipher::from_config(&ctx.config)?;
    let mut connection = ConnectionRecord::new(
        &cipher,
        PARTNER,
        portal.clone(),
        vec![],
        &tokens,
        "bench",
        now,
    );
    connection.pipeline_id = Some(pipeline.id);
    ctx.store.put(connection.item()?, None).await?;
    hubspot.set_rate_limit(&portal, Some(o.limit)).await?;

    let (before, limited_before) = requests(&parts, &portal).await?;
    let wall = run_sync(&parts, SyncMode::Full, o.workers).await?;
    let (after, limited_after) = requests(&parts, &portal).await?;
    let deals = hubspot.objects(&portal, ObjectType::Deals).await?;
    let distinct: BTreeSet<&String> = deals
        .iter()
        .filter_map(|d| d.properties.get("pc_lead_id"))
        .collect();
    let contacts = hubspot.objects(&portal, ObjectType::Contacts).await?.len();
    println!(
        "full sync of {} leads, limit {} requests / 10 s: wall {:.1} s, {} requests, {} answered 429",
        o.leads,
        o.limit,
        wall.as_secs_f64(),
        after - before,
        limited_after - limited_before
    );
    println!(
        "deals {} (distinct leads {}), contacts {}: {} lost, {} duplicated",
        deals.len(),
        distinct.len(),
        contacts,
        o.leads.saturating_sub(distinct.len()),
        deals.len() - distinct.len()
    );
    anyhow::ensure!(
        deals.len() == o.leads && distinct.len() == o.leads,
        "a lead is lost or duplicated"
    );

    for id in leads.iter().take(o.changes) {
        let lead = leads_store::get(&*ctx.store, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("lead"))?;
        let mut changed = lead.clone();
        changed.contact.company = Some(format!(
            "{} (renamed)",
            lead.contact.company.clone().unwrap_or_default()
        ));
        changed.version += 1;
        leads_store::update(&*ctx.store, &lead, &changed, ChangedBy::Staff).await?;
    }
    let (before, limited_before) = requests(&parts, &portal).await?;
    let wall = run_sync(&parts, SyncMode::Incremental, o.workers).await?;
    let (after, limited_after) = requests(&parts, &portal).await?;
    println!(
        "incremental sync after {} changes: wall {:.1} s, {} requests, {} answered 429",
        o.changes,
        wall.as_secs_f64(),
        after - before,
        limited_after - limited_before
    );
    Ok(())
}
