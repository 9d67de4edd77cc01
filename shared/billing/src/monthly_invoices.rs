//! The monthly run: on the 1st (00:00 in Los Angeles, the business's
//! time) every partner whose billing terms cover the month past gets one
//! message on the `billing` queue; each message makes that partner's
//! invoice for the month, exactly once.
//!
//! A message claims `INVOICECLAIM#<partnerId>#<period>` in the same
//! transaction that stores the invoice and its planned lines, so runs of
//! the job at once, twice, or a redelivered message all end with one
//! invoice: whoever loses the claim goes on with the claimed invoice from
//! the step it reached (see `invoice_run`).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use pc_accounts::billing_config::{BillingConfig, Month, get_billing_configs};
use pc_accounts::partners_store::PartnerPages;
use pc_http::functions::{JobError, JobReport, WorkerError};
use pc_http::{AppState, QueueMessage};
use pc_leads::deal_status::DealStatus;
use pc_leads::leads_store::created_between;
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Condition, MAX_BATCH_GET, MAX_TRANSACTION_WRITES, Update, Write};

use crate::BillingError;
use crate::billing_math::{BillableLead, Charge, charges, term_for, total};
use crate::customers::billing_config;
use crate::invoice_events::announce_invoice;
use crate::invoice_run::make_invoice;
use crate::invoices_store::{
    InvoiceLineRecord, InvoiceRecord, InvoiceType, Stage, claim_item, claim_key,
    claimed_invoice_id, get_invoice, invoice_key, invoice_lines,
};

/// The time zone months are counted in.
pub const BILLING_TIMEZONE: chrono_tz::Tz = chrono_tz::America::Los_Angeles;

/// Messages sent at once by a fan-out.
const SENDS_IN_FLIGHT: usize = 16;

/// A message of the `billing` queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BillingMessage {
    /// Invoice the partner for the month (`YYYY-MM`).
    #[serde(rename_all = "camelCase")]
    Monthly {
        partner_id: String,
        period: String,
        /// The on-demand generation this message belongs to, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<String>,
    },
    /// Make an invoice already planned (a manual charge).
    #[serde(rename_all = "camelCase")]
    Invoice { invoice_id: String },
}

impl Message for BillingMessage {
    const QUEUE: QueueName = QueueName::Billing;
}

/// The month before the one `at` falls in, in the billing time zone.
pub fn period_before(at: DateTime<Utc>) -> Month {
    let local = at.with_timezone(&BILLING_TIMEZONE);
    let (year, month) = match local.month() {
        1 => (local.year() - 1, 12),
        m => (local.year(), m - 1),
    };
    Month::parse(&format!("{year:04}-{month:02}")).expect("a valid month")
}

/// The month a time falls in, in the billing time zone.
pub fn month_of(at: DateTime<Utc>) -> Month {
    let local = at.with_timezone(&BILLING_TIMEZONE);
    Month::parse(&format!("{:04}-{:02}", local.year(), local.month())).expect("a valid month")
}

/// The instants `[start, end)` of a month in the billing time zone.
pub fn month_range(period: &Month) -> (DateTime<Utc>, DateTime<Utc>) {
    let (year, month) = period.as_str().split_once('-').unwrap_or(("2000", "01"));
    let (year, month): (i32, u32) = (year.parse().unwrap_or(2000), month.parse().unwrap_or(1));
    let next = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let start_of = |(y, m): (i32, u32)| {
        let midnight = NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        BILLING_TIMEZONE
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    (start_of((year, month)), start_of(next))
}

/// The partners whose billing terms cover `period`, in creation order.
pub async fn billable_partners(
    ctx: &AppContext,
    period: &Month,
) -> Result<Vec<String>, BillingError> {
    let mut billable = Vec::new();
    let mut pages = PartnerPages::new(&*ctx.store, MAX_BATCH_GET);
    while let Some(partners) = pages.next().await? {
        let ids: Vec<_> = partners.iter().map(|p| p.id.as_str()).collect();
        for config in get_billing_configs(&*ctx.store, &ids).await? {
            if term_for(&config, period).is_some() {
                billable.push(config.partner_id);
            }
        }
    }
    Ok(billable)
}

/// Sends one message per billable partner for `period`; answers how many.
pub async fn fan_out(ctx: &AppContext, period: &Month) -> Result<usize, BillingError> {
    let partners = billable_partners(ctx, period).await?;
    // Owned futures: a stream of closures over borrowed state is not
    // `Send` for every lifetime, which a boxed job needs.
    let sends: Vec<_> = partners
        .iter()
        .map(|partner_id| {
            let queue = ctx.queue.clone();
            let message = BillingMessage::Monthly {
                partner_id: partner_id.clone(),
                period: period.as_str().to_owned(),
                task_id: None,
            };
            async move { queue.send_message(&message).await }
        })
        .collect();
    futures::stream::iter(sends)
        .buffer_unordered(SENDS_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(partners.len())
}

/// `monthly-invoices`: fans out the month before `at`.
pub async fn run_monthly_invoices(
    ctx: &AppState,
    at: DateTime<Utc>,
) -> Result<JobReport, JobError> {
    let period = period_before(at);
    let enqueued = fan_out(ctx, &period).await?;
    Ok(JobReport::default()
        .count("partners", enqueued as u64)
        .note(format!(
            "invoicing {} for {enqueued} partners",
            period.as_str()
        )))
}

/// The `billing` queue's worker.
pub async fn billing_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let parsed: BillingMessage = message.parse()?;
    let made = match &parsed {
        BillingMessage::Monthly {
            partner_id,
            period,
            task_id,
        } => {
            let period = Month::parse(period)
                .ok_or_else(|| WorkerError::poison(format!("not a month: {period}")))?;
            let made = invoice_month(ctx, partner_id, &period).await?;
            if let Some(task_id) = task_id {
                crate::generate_api::mark_done(ctx, task_id, partner_id).await?;
            }
            made
        }
        BillingMessage::Invoice { invoice_id } => Some(make_invoice(ctx, invoice_id).await?),
    };
    match made {
        Some(invoice) => {
            tracing::info!(invoice_id = %invoice.id, partner_id = %invoice.partner_id, period = %invoice.billing_period, amount_cents = invoice.amount_cents, "invoice made")
        }
        None => tracing::info!(?parsed, "nothing to invoice"),
    }
    Ok(())
}

/// What the partner's leads created in `period` are charged.
async fn plan(
    ctx: &AppContext,
    config: &BillingConfig,
    period: &Month,
) -> Result<Vec<Charge>, BillingError> {
    let (from, to) = month_range(period);
    let leads: Vec<BillableLead> = created_between(&*ctx.store, &config.partner_id, from, to)
        .await?
        .into_iter()
        .map(|lead| BillableLead {
            won: lead.deal_status == DealStatus::Won,
            company: lead.contact.company,
            deal_amount_cents: lead.deal_amount_cents,
            id: lead.id,
            email: lead.email,
        })
        .collect();
    Ok(charges(config, period, &leads))
}

fn line(invoice: &InvoiceRecord, charge: &Charge) -> InvoiceLineRecord {
    InvoiceLineRecord {
        invoice_id: invoice.id.clone(),
        line_id: charge.lead_id.clone(),
        lead_id: Some(charge.lead_id.clone()),
        description: charge.description.clone(),
        amount_cents: charge.amount_cents,
        billing_period: invoice.billing_period.clone(),
    }
}

/// Makes the partner's invoice for `period`: claims and plans it, or goes
/// on with the one claimed before. `None` when there is nothing to charge.
pub async fn invoice_month(
    ctx: &AppContext,
    partner_id: &str,
    period: &Month,
) -> Result<Option<InvoiceRecord>, BillingError> {
    if let Some(id) = claimed_invoice_id(&*ctx.store, partner_id, period.as_str()).await? {
        return resume(ctx, &id, period).await;
    }
    let config = match billing_config(ctx, partner_id).await {
        Ok(config) => config,
        Err(BillingError::NotConfigured) => return Ok(None),
        Err(e) => return Err(e),
    };
    let charges = plan(ctx, &config, period).await?;
    if charges.is_empty() {
        return Ok(None);
    }
    let now = ctx.clock.now();
    let invoice = InvoiceRecord {
        amount_cents: total(&charges),
        line_count: charges.len() as u32,
        stage: Stage::Planning,
        ..InvoiceRecord::new(
            &ctx.ids.new_id(),
            partner_id,
            InvoiceType::Monthly,
            period.as_str(),
            now,
        )
    };
    // A month that fits one transaction is stored whole; a bigger one
    // is claimed first and its lines follow (see `store_plan`).
    // (With the claim, the invoice and the outbox announcing it.)
    let fits = charges.len() + 3 <= MAX_TRANSACTION_WRITES;
    let stored = InvoiceRecord {
        stage: if fits {
            Stage::Planned
        } else {
            Stage::Planning
        },
        ..invoice.clone()
    };
    let mut writes = vec![
        Write::put_new(claim_item(partner_id, period.as_str(), &invoice.id)),
        Write::put_new(stored.item()?),
    ];
    if fits {
        for charge in &charges {
            writes.push(Write::put(line(&invoice, charge).item()?));
        }
    }
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    announce_invoice(
        ctx,
        &mut outbox,
        &stored,
        "created",
        stored.stripe_status,
        None,
    )?;
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => {
            // Another message claimed the month first: go on with its invoice.
            let id = claimed_invoice_id(&*ctx.store, partner_id, period.as_str())
                .await?
                .ok_or_else(|| {
                    BillingError::InvoiceNotFound(format!("{partner_id}/{}", period.as_str()))
                })?;
            return resume(ctx, &id, period).await;
        }
        Err(e) => return Err(e.into()),
    }
    if !fits {
        store_plan(ctx, &stored, &charges).await?;
    }
    make_invoice(ctx, &invoice.id).await.map(Some)
}

/// Goes on with a claimed invoice from where it stopped.
async fn resume(
    ctx: &AppContext,
    id: &str,
    period: &Month,
) -> Result<Option<InvoiceRecord>, BillingError> {
    let invoice = get_invoice(&*ctx.store, id)
        .await?
        .ok_or_else(|| BillingError::InvoiceNotFound(id.to_owned()))?;
    if invoice.stage == Stage::Planning {
        let config = billing_config(ctx, &invoice.partner_id).await?;
        let charges = plan(ctx, &config, period).await?;
        if charges.is_empty() {
            // The leads went away since the claim: nothing is owed.
            withdraw(ctx, &invoice).await?;
            return Ok(None);
        }
        store_plan(ctx, &invoice, &charges).await?;
    }
    make_invoice(ctx, id).await.map(Some)
}

/// Removes a claimed invoice that was never planned, with its claim and
/// any lines stored so far.
async fn withdraw(ctx: &AppContext, invoice: &InvoiceRecord) -> Result<(), BillingError> {
    let mut writes: Vec<Write> = invoice_lines(&*ctx.store, &invoice.id)
        .await?
        .iter()
        .map(|line| Write::Delete {
            key: line.key(),
            condition: None,
        })
        .collect();
    writes.push(Write::Delete {
        key: claim_key(&invoice.partner_id, &invoice.billing_period),
        condition: None,
    });
    writes.push(Write::Delete {
        key: invoice_key(&invoice.id),
        condition: Some(Condition::equals("stage", stage_json(Stage::Planning))),
    });
    for batch in writes.rchunks(MAX_TRANSACTION_WRITES) {
        ctx.store.transact(batch.to_vec()).await?;
    }
    Ok(())
}

fn stage_json(stage: Stage) -> serde_json::Value {
    serde_json::to_value(stage).unwrap_or_default()
}

/// Stores the lines of a claimed invoice too big for one transaction, in
/// batches, removes lines of an earlier try that no longer apply, then
/// marks it planned with their sum.
async fn store_plan(
    ctx: &AppContext,
    invoice: &InvoiceRecord,
    charges: &[Charge],
) -> Result<(), BillingError> {
    let stored = invoice_lines(&*ctx.store, &invoice.id).await?;
    let mut writes = Vec::new();
    for old in &stored {
        if !charges.iter().any(|c| c.lead_id == old.line_id) {
            writes.push(Write::Delete {
                key: old.key(),
                condition: None,
            });
        }
    }
    for charge in charges {
        writes.push(Write::put(line(invoice, charge).item()?));
    }
    for batch in writes.chunks(MAX_TRANSACTION_WRITES) {
        ctx.store.transact(batch.to_vec()).await?;
    }
    let planned = Update::new(invoice_key(&invoice.id))
        .set(
            "stage",
            serde_json::to_value(Stage::Planned).unwrap_or_default(),
        )
        .set("amountCents", total(charges))
        .set("lineCount", charges.len() as i64)
        .when(Condition::equals("stage", stage_json(Stage::Planning)));
    match ctx.store.update(planned).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
