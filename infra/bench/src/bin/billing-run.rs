//! The monthly invoice run at scale: `billing-run [--partners 1000]
//! [--leads 20] [--latency-ms 50] [--concurrency 10] [--store memory|disk]`
//! seeds that many billable partners with that many leads each in May
//! 2024, runs `monthly-invoices` for the month over the embedded ports the
//! dev server uses, with every fake-Stripe call delayed by the latency,
//! and works the billing queue with `concurrency` workers (Lambda's
//! concurrent invocations). It prints the wall time, the time per message
//! (p50, p99, max) and the projected Lambda time, messages × p99 /
//! concurrency, which must fit well inside Lambda's 15 minutes, and checks
//! that every partner has exactly one invoice with the right total.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use pc_accounts::billing_config::{BillingConfig, BillingTerm, BillingType, Month};
use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_billing::invoices_store::Stage;
use pc_billing::keys::INVOICES_PARTITION;
use pc_billing::monthly_invoices::{billing_worker, fan_out, month_range};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store::lead_item;
use pc_platform::config::Config;
use pc_platform::queue::QueueName;
use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Index, Query, Store, from_item};
use pc_platform::{AppContext, AppState, EmbeddedParts};

struct Options {
    partners: usize,
    leads: usize,
    latency: Duration,
    concurrency: usize,
    disk: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        partners: 1_000,
        leads: 20,
        latency: Duration::from_millis(50),
        concurrency: 10,
        disk: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--partners" => o.partners = value.parse()?,
            "--leads" => o.leads = value.parse()?,
            "--latency-ms" => o.latency = Duration::from_millis(value.parse()?),
            "--concurrency" => o.concurrency = value.parse::<usize>()?.max(1),
            "--store" => o.disk = value == "disk",
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

/// Price per qualified lead: $50.00.
const PRICE_CENTS: i64 = 5_000;

async fn seed(ctx: &AppContext, o: &Options, period: &Month) -> anyhow::Result<()> {
    let (start, _) = month_range(period);
    let now: DateTime<Utc> = start;
    for p in 0..o.partners {
        let id = format!("bench-partner-{p:05}");
        let partner = PartnerRecord::new_active(&id, &format!("Partner {p}"), &id, now);
        ctx.store.put(partner_item(&partner)?, None).await?;
        let config = BillingConfig {
            partner_id: id.clone(),
            billing_type: BillingType::QualifiedLead,
            billing_terms: vec![BillingTerm {
                start_month: Month::parse("2024-01").expect("a month"),
                end_month: None,
                value: PRICE_CENTS,
            }],
            billing_email: Some(format!("billing-{p}@example.com")),
            stripe_customer_id: None,
        };
        ctx.store.put(config.item()?, None).await?;
        for l in 0..o.leads {
            let email = LeadEmail::parse(&format!("lead{l}@buyer{p}.example"))
                .map_err(anyhow::Error::msg)?;
            let created = start + chrono::Duration::minutes((p * o.leads + l) as i64);
            let lead = LeadRecord::new(
                format!("bench-lead-{p:05}-{l:03}"),
                id.clone(),
                email,
                pc_leads::deal_status::LeadSource::Manual,
                created,
            );
            ctx.store.put(lead_item(&lead)?, None).await?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let dir = tempfile_dir()?;
    let store: Arc<dyn Store> = if o.disk {
        Arc::new(EmbeddedStore::open(&dir.join("store.redb"))?)
    } else {
        Arc::new(EmbeddedStore::in_memory())
    };
    let parts = EmbeddedParts::new(store, Config::local_defaults());
    // Stripe far away: every call of the fake waits this long first.
    parts.stripe.set_latency(o.latency);
    let ctx: AppState = parts.context.clone();
    let period = Month::parse("2024-05").expect("a month");
    let seeding = Instant::now();
    seed(&ctx, &o, &period).await?;
    println!(
        "seeded {} partners x {} leads in {:.1} s ({} store)",
        o.partners,
        o.leads,
        seeding.elapsed().as_secs_f64(),
        if o.disk { "disk" } else { "memory" }
    );

    let run = Instant::now();
    let sent = fan_out(&ctx, &period).await?;
    let fan_out_time = run.elapsed();
    let queue = parts.queue.clone();
    let workers = (0..o.concurrency).map(|_| {
        let (ctx, queue) = (ctx.clone(), queue.clone());
        tokio::spawn(async move {
            let mut took = Vec::new();
            loop {
                let batch = queue.receive(QueueName::Billing, 1).await?;
                let Some(message) = batch.into_iter().next() else {
                    if queue.pending(QueueName::Billing).await? == 0 {
                        return anyhow::Ok(took);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let started = Instant::now();
                billing_worker(&ctx, &message)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                took.push(started.elapsed());
                queue.ack(QueueName::Billing, &message).await?;
            }
        })
    });
    let mut took = Vec::new();
    for worker in futures::future::join_all(workers).await {
        took.extend(worker??);
    }
    let wall = run.elapsed();
    took.sort();

    let invoices = all_invoices(&*ctx.store).await?;
    let expected_total = o.leads as i64 * PRICE_CENTS;
    let wrong = invoices
        .iter()
        .filter(|(stage, amount)| *stage != Stage::Finalized || *amount != expected_total)
        .count();
    let (p50, p99, max) = (
        percentile(&took, 50.0),
        percentile(&took, 99.0),
        percentile(&took, 100.0),
    );
    let projected = p99.as_secs_f64() * took.len() as f64 / o.concurrency as f64;
    println!(
        "fan-out: {sent} messages in {:.2} s",
        fan_out_time.as_secs_f64()
    );
    println!(
        "run: {} messages, wall {:.1} s with {} workers, Stripe latency {} ms per call",
        took.len(),
        wall.as_secs_f64(),
        o.concurrency,
        o.latency.as_millis()
    );
    println!(
        "per message: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
    println!(
        "projected Lambda time: {} x p99 / {} = {:.1} s (limit 900 s); longest invocation {:.1} s (limit 60 s)",
        took.len(),
        o.concurrency,
        projected,
        max.as_secs_f64()
    );
    println!(
        "invoices: {} for {} partners, {} not finalized at {} cents",
        invoices.len(),
        o.partners,
        wrong,
        expected_total
    );
    anyhow::ensure!(
        invoices.len() == o.partners && wrong == 0,
        "the run did not invoice every partner once"
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

async fn all_invoices(store: &dyn Store) -> anyhow::Result<Vec<(Stage, i64)>> {
    let mut found = Vec::new();
    let mut query = Query::partition(Index::Gsi2, INVOICES_PARTITION);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            let invoice: pc_billing::invoices_store::InvoiceRecord = from_item(item)?;
            found.push((invoice.stage, invoice.amount_cents));
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(found),
        }
    }
}

/// A fresh directory for the disk store, under the system's temp dir.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("pc-billing-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
