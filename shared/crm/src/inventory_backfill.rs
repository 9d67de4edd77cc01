//! `hubspot-inventory` (every 15 minutes): for every partner whose
//! inventory sync is on, finds the deals in its listed stages that
//! changed since the last run and makes them leads
//! ([`crate::inventory_import`]) — the deals the webhook missed, and the
//! ones that were in those stages before the sync was turned on. It
//! catches up on the stage changes of the deals that are leads already,
//! which HubSpot's webhook may have lost too, in two searches with a
//! cursor each ([`Pass`]):
//! - arrivals, `dealstage IN` the listed stages: new leads, and leads the
//!   sync delisted whose deal is back;
//! - departures, `dealstage NOT_IN` them: listed leads whose deal left.
//!
//! A lead whose deal the search shows across the stages' edge follows the
//! deal's current stage, read at HubSpot, through the webhook's own
//! [`follow_deal_stage`] (idempotent: a lead already moved is left alone).
//!
//! It reads HubSpot's CRM search within the search API's own limits:
//! - at most [`SEARCH_REQUESTS_PER_SECOND`] searches a second, paced on
//!   the real clock, and a 429 waited out (its `Retry-After`) and retried;
//! - no query pages through more than [`SEARCH_MAX_RESULTS`]: a window
//!   whose `total` is larger is split in two by time, oldest half first;
//! - within a window, pages are read by key (the next query starts at the
//!   last page's latest `hs_lastmodifieddate`, skipping the ids already
//!   seen at that millisecond: ties are broken by id), so deals changing
//!   while the run pages cannot shift one out of sight as offsets would;
//!   only a page that is one millisecond whole pages on by `after`;
//! - the search index lags writes, so each run starts
//!   [`INDEX_LAG_MILLIS`] before where the last one ended; the per-deal
//!   guards make the overlap create nothing twice.
//!
//! The cursors move after every page, so a run cut short (a timeout, a
//! failure) loses nothing: the next one resumes where it stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use pc_http::AppState;
use pc_http::functions::{Cadence, JobError, JobReport, Schedule};
use pc_marketplace::listing_store::{DelistedBy, MarketplaceStatus, listing_key, listing_of};
use pc_platform::AppContext;
use pc_platform::crm::{
    AccessToken, BATCH_LIMIT, CrmError, CrmObject, DealSearch, ObjectType, SEARCH_MAX_RESULTS,
    SEARCH_PAGE_LIMIT, SEARCH_REQUESTS_PER_SECOND, SearchPage, StageOperator,
};
use pc_platform::store::{Key, MAX_BATCH_GET, StoreError};

use crate::connection::access_token;
use crate::error::ConnectionError;
use crate::hubspot_fields::{ObjectKind, deal_properties};
use crate::inventory_events::{Followed, follow_deal_stage, stage_of};
use crate::inventory_import::{ImportCounts, ImportError, InventoryScope, import_deals};
use crate::inventory_settings::{InventorySettings, Pass, enabled_settings, save_cursor};
use crate::links_store::{get_records, object_key};

pub const HUBSPOT_INVENTORY: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(15),
    timezone: "UTC",
};

/// How far each run reaches back before the last one's end: HubSpot's
/// search index shows a change some seconds after it is made.
pub const INDEX_LAG_MILLIS: i64 = 5 * 60_000;

/// Tries of one call that HubSpot answered 429.
const RATE_LIMIT_TRIES: usize = 6;

/// A run stops paging after this long (the function may run 15 minutes);
/// the next one resumes at the cursor.
const RUN_BUDGET: Duration = Duration::from_secs(10 * 60);

/// What one partner's backfill did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackfillRun {
    pub counts: ImportCounts,
    pub searches: u64,
    /// Calls HubSpot answered 429 (then waited out).
    pub rate_limited: u64,
    /// Windows split because they matched more than a query pages through.
    pub splits: u64,
    /// Leads taken off the market because their deal left the stages.
    pub delisted: u64,
    /// Leads the sync had delisted put back, their deal being back.
    pub relisted: u64,
    /// The budget ran out before the end: the next run goes on.
    pub unfinished: bool,
}

/// Spaces searches by the search API's per-second limit.
struct Pacer {
    interval: Duration,
    last: Option<Instant>,
}

impl Pacer {
    fn new() -> Self {
        Self {
            interval: Duration::from_millis(1_000 / SEARCH_REQUESTS_PER_SECOND.max(1) as u64),
            last: None,
        }
    }

    async fn wait(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        self.last = Some(Instant::now());
    }
}

/// Millis of a deal's last change (`hs_lastmodifieddate`, ISO 8601 or
/// millis as HubSpot writes either).
fn modified_millis(deal: &CrmObject) -> Option<i64> {
    let text = deal.properties.get("hs_lastmodifieddate")?;
    text.parse::<i64>().ok().or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// The inventory leads of `deals` (each deal's own lead, not one it shares
/// a contact with) whose listing the search shows on the wrong side of the
/// stages' edge: listed while the deal is out of the stages, or delisted
/// by the sync while it is back in them. By deal id.
async fn moved_leads(
    ctx: &AppContext,
    scope: &InventoryScope<'_>,
    deals: &[CrmObject],
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut lead_ids = Vec::new();
    for chunk in deals.chunks(MAX_BATCH_GET) {
        let keys: Vec<Key> = chunk
            .iter()
            .map(|d| object_key(scope.portal_id, ObjectKind::Deal, &d.id))
            .collect();
        for item in ctx.store.batch_get(&keys).await? {
            if let Some(id) = item.get("leadId").and_then(|v| v.as_str()) {
                lead_ids.push(id.to_owned());
            }
        }
    }
    if lead_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let records = get_records(&*ctx.store, &lead_ids).await?;
    // The stage as the search saw it; the move reads the current one.
    let in_stages = |deal: &CrmObject| scope.settings.stage_ids.contains(&stage_of(deal));
    let by_deal: BTreeMap<&str, &CrmObject> = deals.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut moved = BTreeMap::new();
    let inventory: Vec<(&str, &CrmObject)> = records
        .values()
        .filter(|r| r.inventory)
        .filter_map(|r| Some((r.lead_id.as_str(), *by_deal.get(r.deal_id.as_deref()?)?)))
        .collect();
    for chunk in inventory.chunks(MAX_BATCH_GET) {
        let keys: Vec<Key> = chunk.iter().map(|(lead, _)| listing_key(lead)).collect();
        let listings = ctx.store.batch_get(&keys).await?;
        for listing in listings.into_iter().map(listing_of) {
            let listing = listing?;
            let Some((_, deal)) = chunk.iter().find(|(lead, _)| *lead == listing.lead_id) else {
                continue;
            };
            let wrong_side = match listing.marketplace_status {
                MarketplaceStatus::Listed => !in_stages(deal),
                MarketplaceStatus::Delisted => {
                    listing.delisted_by == Some(DelistedBy::Inventory) && in_stages(deal)
                }
                _ => false,
            };
            if wrong_side {
                moved.insert(deal.id.clone(), listing.lead_id);
            }
        }
    }
    Ok(moved)
}

struct Backfill<'a> {
    ctx: &'a AppContext,
    token: &'a AccessToken,
    scope: InventoryScope<'a>,
    pass: Pass,
    pacer: Pacer,
    run: BackfillRun,
    started: Instant,
}

impl Backfill<'_> {
    async fn search(
        &mut self,
        from: i64,
        before: i64,
        after: Option<String>,
    ) -> Result<SearchPage, CrmError> {
        let search = DealSearch {
            stage_ids: self.scope.settings.stage_ids.clone(),
            stage_operator: match self.pass {
                Pass::Arrivals => StageOperator::In,
                Pass::Departures => StageOperator::NotIn,
            },
            modified_from: from,
            modified_before: before,
            properties: deal_properties(),
            after,
            limit: SEARCH_PAGE_LIMIT,
        };
        let mut tries = 0;
        loop {
            self.pacer.wait().await;
            self.run.searches += 1;
            match self.ctx.crm.search_deals(self.token, &search).await {
                Err(CrmError::RateLimited { retry_after }) if tries + 1 < RATE_LIMIT_TRIES => {
                    tries += 1;
                    self.run.rate_limited += 1;
                    tokio::time::sleep(retry_after).await;
                }
                other => return other,
            }
        }
    }

    /// One page's deals: the arrivals made leads, and the leads whose deal
    /// crossed the stages' edge moved.
    async fn page(&mut self, deals: &[CrmObject]) -> Result<(), ImportError> {
        let mut tries = 0;
        loop {
            match self.page_once(deals).await {
                Ok(()) => return Ok(()),
                Err(ImportError::Crm(CrmError::RateLimited { retry_after }))
                    if tries + 1 < RATE_LIMIT_TRIES =>
                {
                    // Both steps are idempotent: the deals done before
                    // the 429 are skipped by their guards, the leads moved
                    // by their listing's state.
                    tries += 1;
                    self.run.rate_limited += 1;
                    tokio::time::sleep(retry_after).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn page_once(&mut self, deals: &[CrmObject]) -> Result<(), ImportError> {
        if self.pass == Pass::Arrivals {
            let counts = import_deals(self.ctx, &self.scope, deals).await?;
            self.run.counts.add(&counts);
        }
        let moved = moved_leads(self.ctx, &self.scope, deals).await?;
        let ids: Vec<String> = moved.keys().cloned().collect();
        for chunk in ids.chunks(BATCH_LIMIT) {
            let current = self
                .ctx
                .crm
                .batch_read(self.token, ObjectType::Deals, chunk, &deal_properties())
                .await?;
            for deal in &current.results {
                let Some(lead_id) = moved.get(&deal.id) else {
                    continue;
                };
                match follow_deal_stage(self.ctx, self.scope.settings, lead_id, deal).await? {
                    Followed::Delisted => self.run.delisted += 1,
                    Followed::Relisted => self.run.relisted += 1,
                    Followed::Unchanged(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Every deal of the pass changed in `[from, before)`, whose first page
    /// is `first`.
    async fn window(
        &mut self,
        mut from: i64,
        before: i64,
        first: SearchPage,
    ) -> Result<(), ImportError> {
        let mut first = Some(first);
        let mut seen_at_from: BTreeSet<String> = BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            if self.started.elapsed() > RUN_BUDGET {
                self.run.unfinished = true;
                return Ok(());
            }
            let page = match first.take() {
                Some(page) => page,
                None => self.search(from, before, after.take()).await?,
            };
            let fresh: Vec<CrmObject> = page
                .results
                .iter()
                .filter(|d| !(modified_millis(d) == Some(from) && seen_at_from.contains(&d.id)))
                .cloned()
                .collect();
            self.page(&fresh).await?;
            let Some(next) = page.after.clone() else {
                return Ok(());
            };
            let last = page.results.iter().filter_map(modified_millis).max();
            match last {
                // The whole page is one millisecond: page on by offset.
                Some(last) if last == from => {
                    seen_at_from.extend(page.results.iter().map(|d| d.id.clone()));
                    if next.parse::<u64>().is_ok_and(|n| n >= SEARCH_MAX_RESULTS) {
                        tracing::warn!(partner_id = %self.scope.partner_id, at = from, "more deals in one millisecond than a search pages through");
                        return Ok(());
                    }
                    after = Some(next);
                }
                Some(last) => {
                    seen_at_from = page
                        .results
                        .iter()
                        .filter(|d| modified_millis(d) == Some(last))
                        .map(|d| d.id.clone())
                        .collect();
                    from = last;
                    save_cursor(&*self.ctx.store, self.scope.partner_id, self.pass, from).await?;
                }
                None => return Ok(()),
            }
        }
    }

    /// `[from, before)`, split while a query would match more than it can
    /// page through; the cursor moves past each window done.
    async fn run(&mut self, from: i64, before: i64) -> Result<(), ImportError> {
        let mut windows = vec![(from, before)];
        while let Some((lo, hi)) = windows.pop() {
            if self.run.unfinished {
                break;
            }
            let probe = self.search(lo, hi, None).await?;
            if probe.total > SEARCH_MAX_RESULTS && hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                self.run.splits += 1;
                // Popped last, so the older half goes first.
                windows.push((mid, hi));
                windows.push((lo, mid));
                continue;
            }
            self.window(lo, hi, probe).await?;
            if !self.run.unfinished {
                save_cursor(&*self.ctx.store, self.scope.partner_id, self.pass, hi).await?;
            }
        }
        Ok(())
    }
}

/// Backfills one partner up to now; `None` when it has no usable HubSpot
/// connection (nothing to read).
pub async fn backfill_partner(
    ctx: &AppContext,
    settings: &InventorySettings,
) -> Result<Option<BackfillRun>, ImportError> {
    let access = match access_token(ctx, &settings.partner_id).await {
        Ok(access) => access,
        Err(ConnectionError::NotConnected | ConnectionError::Unhealthy) => return Ok(None),
        Err(ConnectionError::Crm(e)) => return Err(e.into()),
        Err(ConnectionError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(ImportError::Crm(CrmError::Unavailable(e.to_string()))),
    };
    // Changes up to this millisecond, by HubSpot's clock (ours, give or
    // take; the next run's overlap covers the difference).
    let before = ctx.clock.now().timestamp_millis() + 1;
    let mut backfill = Backfill {
        ctx,
        token: &access.token,
        scope: InventoryScope {
            token: &access.token,
            partner_id: &settings.partner_id,
            portal_id: &access.portal_id,
            settings,
        },
        pass: Pass::Arrivals,
        pacer: Pacer::new(),
        run: BackfillRun::default(),
        started: Instant::now(),
    };
    for pass in [Pass::Arrivals, Pass::Departures] {
        if backfill.run.unfinished {
            break;
        }
        backfill.pass = pass;
        let from = settings
            .cursor(pass)
            .map_or(0, |c| (c - INDEX_LAG_MILLIS).max(0));
        backfill.run(from, before).await?;
    }
    Ok(Some(backfill.run))
}

pub async fn hubspot_inventory(ctx: &AppState, _at: DateTime<Utc>) -> Result<JobReport, JobError> {
    let partners = enabled_settings(&*ctx.store).await.map_err(JobError::new)?;
    let mut total = BackfillRun::default();
    let (mut failed, mut not_connected) = (0, 0);
    for settings in &partners {
        match backfill_partner(ctx, settings).await {
            Ok(Some(run)) => {
                tracing::info!(partner_id = %settings.partner_id, ?run, "inventory backfilled");
                total.counts.add(&run.counts);
                total.searches += run.searches;
                total.rate_limited += run.rate_limited;
                total.splits += run.splits;
                total.delisted += run.delisted;
                total.relisted += run.relisted;
                total.unfinished |= run.unfinished;
            }
            Ok(None) => not_connected += 1,
            Err(e) => {
                tracing::warn!(partner_id = %settings.partner_id, error = %e, "inventory backfill failed");
                failed += 1;
            }
        }
    }
    let c = total.counts;
    let report = JobReport::default()
        .count("partners", partners.len() as u64)
        .count("notConnected", not_connected)
        .count("failed", failed)
        .count("deals", c.deals)
        .count("created", c.created)
        .count("already", c.already)
        .count("sameContact", c.same_contact)
        .count("noContact", c.no_contact)
        .count("noEmail", c.no_email)
        .count("listed", c.listed)
        .count("notListable", c.not_listable)
        .count("searches", total.searches)
        .count("rateLimited", total.rate_limited)
        .count("splits", total.splits)
        .count("delisted", total.delisted)
        .count("relisted", total.relisted);
    let report = if total.unfinished {
        report.note("the run's time ran out; the next run resumes at the cursor")
    } else {
        report
    };
    if failed > 0 && failed == partners.len() as u64 {
        return Err(JobError::new(format!(
            "{failed} partners' backfills failed"
        )));
    }
    Ok(report)
}
