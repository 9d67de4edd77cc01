//! Moving the original system's MongoDB data in: reads a `mongodump`
//! directory and writes its records through the store port, in an import
//! mode of the domain's own writes (every guard, index entry and counter
//! the normal writes keep, historical times, no side effects: no outbox
//! messages, emails, webhooks, activities or CRM change markers).
//!
//! The order: partners are read (they are few), leads are read once into
//! an on-disk scratch index (the oldest of each partner and email is kept,
//! and where each document starts), meetings are read once to know each
//! kept lead's meetings, then partners, users, leads with their notes (in
//! id order, read back at their offsets), and meetings (in their leads'
//! order) are written; into the embedded store the leads' search entries
//! follow in a stage of their own ([`search_stage`]), and what was written
//! is re-read.

pub mod accounts;
pub mod backend;
pub mod billing;
pub mod dump;
pub mod events;
pub mod fields;
pub mod generate;
pub mod keys;
pub mod leads;
pub mod report;
pub mod scratch;
pub mod search_stage;
pub mod sink;
pub mod sorted_runs;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use bson::Document;
use chrono::{DateTime, Utc};

use pc_platform::store::embedded::EmbeddedStore;
use pc_platform::store::{Key, MAX_BATCH_GET, MAX_TRANSACTION_WRITES, Store};

use crate::backend::Target;

use crate::dump::{Documents, Entry};
use crate::report::Report;
use crate::scratch::Scratch;
use crate::sink::{Sink, SinkError};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    pub from: PathBuf,
    pub dry_run: bool,
    /// Stop as if killed once this many records were written (tests of
    /// resuming).
    pub stop_after: Option<u64>,
    /// Re-read every written record at the end (off only for benchmarks,
    /// which re-read a sample of their own).
    pub verify: bool,
    /// Records per commit into the embedded store (its bulk load).
    pub records_per_commit: u64,
    /// Stop as if killed once the search stage wrote this many entries
    /// (tests of resuming it).
    pub stop_search_after: Option<u64>,
}

impl Options {
    pub fn new(from: impl Into<PathBuf>) -> Self {
        Self {
            from: from.into(),
            dry_run: false,
            stop_after: None,
            verify: true,
            records_per_commit: sink::RECORDS_PER_COMMIT,
            stop_search_after: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Sink(#[from] SinkError),
    #[error("reading the dump: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} is not a directory")]
    NotADirectory(String),
}

/// Runs the migration into `target`: the embedded store through one bulk
/// load ([`migrate_embedded`]), DynamoDB call by call ([`migrate`]).
pub async fn migrate_to(target: &Target, options: &Options) -> Result<Report, MigrateError> {
    match &target.embedded {
        Some(store) => migrate_embedded(store, options, &target.description).await,
        None => migrate(target.store.as_ref(), options, &target.description).await,
    }
}

/// Runs the migration into the embedded store through a bulk load,
/// committed every [`Options::records_per_commit`] records; a run that
/// fails or stops leaves the records of its last commit and loses the
/// rest whole (the next run writes them).
pub async fn migrate_embedded(
    store: &EmbeddedStore,
    options: &Options,
    target: &str,
) -> Result<Report, MigrateError> {
    if options.dry_run {
        return migrate(store, options, target).await;
    }
    let load = store.bulk_load();
    let sink = Sink::bulk(
        &load,
        options.records_per_commit,
        options.dry_run,
        options.stop_after,
    );
    let report = run(sink, options, target).await?;
    load.finish().map_err(SinkError::Store)?;
    Ok(report)
}

/// Runs the migration into `store`, a commit (or DynamoDB transaction) per
/// store call; `target` names it in the report.
pub async fn migrate(
    store: &dyn Store,
    options: &Options,
    target: &str,
) -> Result<Report, MigrateError> {
    run(
        Sink::new(store, options.dry_run, options.stop_after),
        options,
        target,
    )
    .await
}

async fn run(mut sink: Sink<'_>, options: &Options, target: &str) -> Result<Report, MigrateError> {
    if !options.from.is_dir() {
        return Err(MigrateError::NotADirectory(
            options.from.display().to_string(),
        ));
    }
    let now = Utc::now();
    let mut report = Report {
        dry_run: options.dry_run,
        target: target.to_owned(),
        ..Report::default()
    };
    if options.verify && !options.dry_run {
        sink.log = Some(Scratch::create()?);
    }
    // The `_id`s read so far: a second document with one is a duplicate.
    let mut seen = Scratch::create()?;

    // Partners first, in memory (a few hundred): every other record names one.
    let mut partners = BTreeMap::new();
    // A partner's `billing` names its configuration; its Stripe customer
    // goes onto that configuration.
    let mut billing_owner: HashMap<String, String> = HashMap::new();
    let mut stripe_customer: HashMap<String, String> = HashMap::new();
    each(
        &options.from,
        "partners",
        &mut report,
        &mut seen,
        |doc, report, id| match accounts::partner(doc, now) {
            Ok(p) => {
                if let Ok(Some(billing)) = fields::reference_field(doc, "billing") {
                    billing_owner.insert(billing, p.id.clone());
                }
                if let Some(customer) = fields::text(doc, "stripeCustomerId") {
                    stripe_customer.insert(p.id.clone(), customer);
                }
                partners.insert(p.id.clone(), p);
            }
            Err(reason) => report.skip("partners", id, reason),
        },
    )?;
    let partner_ids: std::collections::HashSet<String> = partners.keys().cloned().collect();
    let partner_exists = |pid: &str| partner_ids.contains(pid);

    // Pass one over the leads, the counted one: the oldest of each
    // partner and email, and where each lead's document starts.
    let mut scratch = Scratch::create()?;
    let leads_file = dump::uncompressed(&options.from, "leads")?;
    if let Some(file) = &leads_file {
        read_documents(
            Documents::from_file(file.try_clone()?),
            "leads",
            &mut report,
            Some(&mut seen),
            |doc, report, id, offset| {
                let outcome = leads::lead_key_of(doc, partner_exists, now).and_then(|key| {
                    scratch
                        .add_lead(
                            &key.id,
                            &key.partner_id,
                            &key.email,
                            key.created_at.timestamp_millis(),
                            offset,
                        )
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                });
                if let Err(reason) = outcome {
                    report.skip("leads", id, reason);
                }
            },
        )?;
    }

    // Pass one over the meetings, the counted one: each kept lead's
    // meetings (their starts, and where their documents start), each
    // partner's last appointment.
    let mut last_appointment: HashMap<String, DateTime<Utc>> = HashMap::new();
    let meetings_file = dump::uncompressed(&options.from, "meetings")?;
    let mut scratch_failed = None;
    if let Some(file) = &meetings_file {
        read_documents(
            Documents::from_file(file.try_clone()?),
            "meetings",
            &mut report,
            Some(&mut seen),
            |doc, report, id, offset| {
                let meeting = match leads::meeting_doc(doc) {
                    Ok(m) => m,
                    Err(reason) => return report.skip("meetings", id, reason),
                };
                let recorded = match scratch.keeper_of(&meeting.lead) {
                    Ok(Some((keeper, pid))) => scratch
                        .add_meeting_start(
                            &keeper,
                            &meeting.id,
                            id,
                            &leads::start_text(meeting.start),
                            offset,
                        )
                        .map(|()| Some(pid)),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                match recorded {
                    Ok(Some(pid)) => {
                        let last = last_appointment.entry(pid).or_insert(meeting.start);
                        *last = (*last).max(meeting.start);
                    }
                    Ok(None) => report.skip(
                        "meetings",
                        id,
                        format!("its lead {} was not migrated", meeting.lead),
                    ),
                    Err(e) => {
                        scratch_failed.get_or_insert(e);
                    }
                }
            },
        )?;
    }
    if let Some(e) = scratch_failed {
        return Err(e.into());
    }

    for partner in partners.values_mut() {
        partner.last_appointment_date = last_appointment.get(&partner.id).copied();
        match accounts::partner_unit(partner) {
            Ok(unit) => sink.push(unit, &mut report).await?,
            Err(reason) => report.skip("partners", &partner.id, reason),
        }
    }
    sink.flush(&mut report).await?;

    let mut legacy_users = 0u64;
    for_each_document(
        &options.from,
        "users",
        &mut report,
        &mut seen,
        &mut sink,
        async |doc, id, report, sink| match accounts::user(&doc, partner_exists, now).and_then(
            |(u, note)| {
                if let Some(note) = note {
                    report.note(note);
                }
                accounts::user_unit(&u)
            },
        ) {
            Ok(unit) => {
                legacy_users += 1;
                sink.push(unit, report).await
            }
            Err(reason) => {
                report.skip("users", &id, reason);
                Ok(())
            }
        },
    )
    .await?;
    sink.flush(&mut report).await?;
    if legacy_users > 0 {
        report.note("users keep their bcrypt hashes; each is replaced by an Argon2id hash at the user's next sign-in");
    }

    // Pass two over the leads, in id order (creation order for
    // ObjectIds, whatever the dump's order): kept leads with their notes,
    // duplicates' notes onto their keepers. In this order each lead's
    // writes keyed by id or creation time (the lead, its staff copy, its
    // notes, its partner's lists) append to their B-trees instead of
    // landing all over them.
    let mut backfilled = 0u64;
    let mut after: Option<String> = None;
    while let Some(file) = &leads_file {
        let page = scratch
            .leads_in_order(after.as_deref(), LEADS_PER_PAGE)
            .map_err(scratch_error)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(last.clone());
        for (id, offset) in page {
            let doc = dump::document_at(file, offset)?;
            if write_lead(
                &doc,
                &id,
                &mut scratch,
                &partner_exists,
                now,
                &mut sink,
                &mut report,
            )
            .await?
            {
                backfilled += 1;
            }
        }
    }
    sink.flush(&mut report).await?;
    report.note("duplicate leads (same partner and email, emails lowercased) are merged into the oldest: its notes and meetings gain the duplicates'; the duplicates' own fields are dropped");
    report.note(format!(
        "scheduledDate backfilled from the latest meeting of any status for {backfilled} lead(s) without one"
    ));
    report.note("leads without a `source` are marked `import`; leads keep their CRM ids but are not marked changed, so no HubSpot sync pushes them");

    // Pass two over the meetings, in the order of their leads' ids (as
    // the leads were written): each meeting's entries under its lead and
    // by start time append to their B-trees.
    let mut after: Option<String> = None;
    while let Some(file) = &meetings_file {
        let page = scratch
            .meetings_in_order(after.as_deref(), LEADS_PER_PAGE)
            .map_err(scratch_error)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(last.clone());
        for (_, offset) in page {
            let doc = dump::document_at(file, offset)?;
            write_meeting(&doc, &mut scratch, &mut sink, &mut report).await?;
        }
    }
    sink.flush(&mut report).await?;
    report.note("meetings keep their ChiliPiper id (`meetingIdChili`) as their id, so the ChiliPiper webhook finds them; a meeting without one keeps its `_id`");

    // Billing configurations: one per partner, the first in the dump.
    let mut billed = std::collections::HashSet::new();
    for_each_document(
        &options.from,
        "billings",
        &mut report,
        &mut seen,
        &mut sink,
        async |doc, id, report, sink| {
            let partner = match fields::reference_field(&doc, "partner") {
                Ok(Some(pid)) => Some(pid),
                Ok(None) => billing_owner.get(&id).cloned(),
                Err(reason) => {
                    report.skip("billings", &id, reason);
                    return Ok(());
                }
            };
            let Some(pid) = partner.filter(|p| partner_exists(p)) else {
                report.skip(
                    "billings",
                    &id,
                    "no migrated partner names this configuration",
                );
                return Ok(());
            };
            if !billed.insert(pid.clone()) {
                report.skip(
                    "billings",
                    &id,
                    format!(
                        "partner {pid} has another configuration (the first in the dump is kept)"
                    ),
                );
                return Ok(());
            }
            match billing::billing(&doc, &pid, stripe_customer.get(&pid).cloned(), now)
                .and_then(|(config, how)| Ok((billing::billing_unit(&id, &config)?, how)))
            {
                Ok((unit, how)) => {
                    report.note(how);
                    sink.push(unit, report).await
                }
                Err(reason) => {
                    report.skip("billings", &id, reason);
                    Ok(())
                }
            }
        },
    )
    .await?;
    sink.flush(&mut report).await?;

    // Invoices (a few per partner and month) in memory; their lines are
    // counted before they are written.
    let mut invoices = BTreeMap::new();
    each(
        &options.from,
        "invoices",
        &mut report,
        &mut seen,
        |doc, report, id| match billing::invoice(doc, partner_exists, now) {
            Ok(invoice) => {
                invoices.insert(invoice.record.id.clone(), invoice);
            }
            Err(reason) => report.skip("invoices", id, reason),
        },
    )?;
    // A line `_id` read twice counts once: the writing pass migrates only
    // the first document with it (and reports the second).
    let mut sighting_failed = None;
    first_pass(&options.from, "invoicelines", &mut report, |doc, _, id| {
        match seen.first_sighting(LINES_COUNTED, id) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                sighting_failed.get_or_insert(e);
                return;
            }
        }
        if let Ok((line, _)) = billing::line(doc)
            && let Some(invoice) = invoices.get_mut(&line.invoice_id)
        {
            invoice.record.line_count += 1;
            if !invoice.has_amount {
                invoice.record.amount_cents += line.amount_cents;
            }
        }
    })?;
    if let Some(e) = sighting_failed {
        return Err(e.into());
    }
    let mut claimed = std::collections::HashSet::new();
    for invoice in invoices.values_mut() {
        let record = &mut invoice.record;
        let claim = record.invoice_type == pc_billing::invoices_store::InvoiceType::Monthly
            && claimed.insert((record.partner_id.clone(), record.billing_period.clone()));
        if record.invoice_type == pc_billing::invoices_store::InvoiceType::Monthly && !claim {
            record.invoice_type = pc_billing::invoices_store::InvoiceType::Manual;
            report.note("a second invoice of one partner and period is migrated as a manual invoice: only one monthly invoice per partner and period exists here");
        }
        match billing::invoice_unit(record, claim) {
            Ok(unit) => sink.push(unit, &mut report).await?,
            Err(reason) => report.skip("invoices", &record.id, reason),
        }
    }
    sink.flush(&mut report).await?;
    report.note("invoices keep their Stripe ids and status; each monthly one claims its partner and period, so the monthly run never invoices a migrated period again; drafts (runs the original never finished) are skipped and reported, each with its Stripe invoice to check");

    for_each_document(
        &options.from,
        "invoicelines",
        &mut report,
        &mut seen,
        &mut sink,
        async |doc, id, report, sink| {
            let (mut line, lead) = match billing::line(&doc) {
                Ok(found) => found,
                Err(reason) => {
                    report.skip("invoicelines", &id, reason);
                    return Ok(());
                }
            };
            if !invoices.contains_key(&line.invoice_id) {
                report.skip(
                    "invoicelines",
                    &id,
                    format!("its invoice {} was not migrated", line.invoice_id),
                );
                return Ok(());
            }
            line.lead_id = match lead {
                Some(lead) => Some(
                    scratch
                        .keeper_of(&lead)
                        .map_err(scratch_error)?
                        .map(|(keeper, _)| keeper)
                        .unwrap_or(lead),
                ),
                None => None,
            };
            match billing::line_unit(&line) {
                Ok(unit) => sink.push(unit, report).await,
                Err(reason) => {
                    report.skip("invoicelines", &id, reason);
                    Ok(())
                }
            }
        },
    )
    .await?;
    sink.flush(&mut report).await?;

    for_each_document(
        &options.from,
        "events",
        &mut report,
        &mut seen,
        &mut sink,
        async |doc, id, report, sink| {
            let keeper = |lead: &str| scratch.keeper_of(lead).ok().flatten().map(|(k, _)| k);
            match events::event(&doc, keeper, now).and_then(|e| events::event_unit(&e)) {
                Ok(unit) => sink.push(unit, report).await,
                Err(reason) => {
                    report.skip("events", &id, reason);
                    Ok(())
                }
            }
        },
    )
    .await?;
    sink.finish(&mut report).await?;
    if let Some(load) = sink.bulk_load().filter(|_| sink.defers_search()) {
        let stage = search_stage::Stage {
            entries_per_commit: options
                .records_per_commit
                .saturating_mul(SEARCH_ENTRIES_PER_RECORD_COMMITTED),
            stop_after: options.stop_search_after,
        };
        search_stage::complete(load, &stage, &mut report).await?;
    }
    report.note("events become audit events (lead events of merged duplicates move to the kept lead); nothing is sent on: no activities, webhooks or emails");

    let store = sink.store();
    if let Some(log) = &mut sink.log {
        verify(store, log, &mut report).await?;
    }
    drop(scratch);
    Ok(report)
}

/// Search entries per commit of the search stage, per record per commit
/// of the records: the entries are small and go in key order, so a commit
/// of them changes few pages.
const SEARCH_ENTRIES_PER_RECORD_COMMITTED: u64 = 10;

/// Writes one meeting of a kept lead, read in pass two.
async fn write_meeting(
    doc: &Document,
    scratch: &mut Scratch,
    sink: &mut Sink<'_>,
    report: &mut Report,
) -> Result<(), SinkError> {
    let id = fields::id_of(doc).unwrap_or_default();
    let checked = match leads::meeting_doc(doc) {
        Ok(m) => m,
        Err(reason) => {
            report.skip("meetings", &id, reason);
            return Ok(());
        }
    };
    let lead = checked.lead.clone();
    let Some((keeper, pid)) = scratch.keeper_of(&lead).map_err(scratch_error)? else {
        report.skip("meetings", &id, format!("its lead {lead} was not migrated"));
        return Ok(());
    };
    match leads::meeting_record(doc, checked, &keeper, &pid).and_then(|m| leads::meeting_unit(&m)) {
        Ok(unit) => sink.push(unit, report).await,
        Err(reason) => {
            report.skip("meetings", &id, reason);
            Ok(())
        }
    }
}

/// Leads (and meetings) taken from the scratch index at a time in pass two.
const LEADS_PER_PAGE: usize = 1_000;

/// Writes one lead read in pass two: a kept lead with its notes, or a
/// duplicate's notes onto its keeper. Answers whether its `scheduledDate`
/// was backfilled.
async fn write_lead(
    doc: &Document,
    id: &str,
    scratch: &mut Scratch,
    partner_exists: &impl Fn(&str) -> bool,
    now: DateTime<Utc>,
    sink: &mut Sink<'_>,
    report: &mut Report,
) -> Result<bool, SinkError> {
    let key = match leads::lead_key_of(doc, partner_exists, now) {
        Ok(key) => key,
        Err(reason) => {
            report.skip("leads", id, reason);
            return Ok(false);
        }
    };
    let (keeper, _) = scratch
        .keeper_of(&key.id)
        .map_err(scratch_error)?
        .unwrap_or_else(|| (key.id.clone(), key.partner_id.clone()));
    if keeper != key.id {
        report.counts("leads").merged += 1;
        let notes = leads::notes(doc, &key.id, &keeper, key.created_at);
        for unit in leads::note_units(&keeper, &notes, MAX_TRANSACTION_WRITES)
            .map_err(|e| SinkError::Store(pc_platform::store::StoreError::Invalid(e)))?
        {
            sink.push(unit, report).await?;
        }
        return Ok(false);
    }
    let starts = scratch
        .meeting_starts(&keeper)
        .map_err(scratch_error)?
        .into_iter()
        .collect();
    let created = key.created_at;
    let with_search = !sink.defers_search();
    let result = leads::lead_record(doc, key, starts).and_then(|lead| {
        let unit = leads::lead_unit(&lead, with_search)?;
        let notes = leads::notes(doc, &lead.id, &lead.id, created);
        let room = MAX_TRANSACTION_WRITES.saturating_sub(unit.writes.len());
        let (own, rest) = notes.split_at(notes.len().min(room));
        let mut unit = unit;
        for note in own {
            unit.writes.push(pc_platform::store::Write::put_new(
                pc_leads::leads_store::items::note_item(note).map_err(|e| e.to_string())?,
            ));
        }
        let more = leads::note_units(&lead.id, rest, MAX_TRANSACTION_WRITES)?;
        Ok((lead, unit, more))
    });
    match result {
        Ok((lead, unit, more)) => {
            let backfilled = doc
                .get("scheduledDate")
                .is_none_or(|v| v == &bson::Bson::Null)
                && lead.scheduled_date.is_some();
            sink.push(unit, report).await?;
            for unit in more {
                sink.push(unit, report).await?;
            }
            Ok(backfilled)
        }
        Err(reason) => {
            report.skip("leads", id, reason);
            Ok(false)
        }
    }
}

fn scratch_error(e: std::io::Error) -> SinkError {
    SinkError::Store(pc_platform::store::StoreError::Backend(e.to_string()))
}

/// Reads every document of `name`, counting reads and reporting broken
/// positions; `visit` gets the document, the report and its id (or
/// position).
fn each(
    dir: &std::path::Path,
    name: &str,
    report: &mut Report,
    seen: &mut Scratch,
    mut visit: impl FnMut(&Document, &mut Report, &str),
) -> std::io::Result<()> {
    read_documents(
        Documents::open(dir, name)?,
        name,
        report,
        Some(seen),
        |doc, report, id, _| visit(doc, report, id),
    )
}

/// A first pass over a collection that a later pass reads (and counts) again.
fn first_pass(
    dir: &std::path::Path,
    name: &str,
    report: &mut Report,
    mut visit: impl FnMut(&Document, &mut Report, &str),
) -> std::io::Result<()> {
    read_documents(
        Documents::open(dir, name)?,
        name,
        report,
        None,
        |doc, report, id, _| visit(doc, report, id),
    )
}

/// Reads a collection; a counted pass (`seen` given) counts each document
/// read and reports broken ones and duplicate `_id`s, which `visit` never
/// sees. `visit` also gets where the document starts in the file.
fn read_documents(
    mut documents: Documents,
    name: &str,
    report: &mut Report,
    mut seen: Option<&mut Scratch>,
    mut visit: impl FnMut(&Document, &mut Report, &str, u64),
) -> std::io::Result<()> {
    loop {
        let offset = documents.offset;
        let Some((n, entry)) = documents.next() else {
            break;
        };
        let position = format!("#{n}");
        if seen.is_some() {
            report.counts(name).read += 1;
        }
        match (entry, seen.as_deref_mut()) {
            (Entry::Document(doc), seen) => {
                let id = fields::id_of(&doc).unwrap_or(position);
                if let Some(seen) = seen
                    && !seen.first_sighting(name, &id)?
                {
                    report.skip(name, &id, DUPLICATE_ID);
                    continue;
                }
                visit(&doc, report, &id, offset);
            }
            (Entry::Broken(reason), Some(_)) => report.skip(name, &position, reason),
            (Entry::Broken(_), None) => {}
        }
    }
    Ok(())
}

/// The `seen` name of the invoice lines counted onto their invoices (apart
/// from `invoicelines`, which the writing pass records).
const LINES_COUNTED: &str = "invoicelines counted";

/// The report's reason for a second document with an `_id` already read.
const DUPLICATE_ID: &str = "duplicate `_id`: another document of this collection has it (the first one in the dump is migrated)";

/// [`each`] with an async visitor that writes.
async fn for_each_document<F>(
    dir: &std::path::Path,
    name: &str,
    report: &mut Report,
    seen: &mut Scratch,
    sink: &mut Sink<'_>,
    mut visit: F,
) -> Result<(), MigrateError>
where
    F: AsyncFnMut(Document, String, &mut Report, &mut Sink<'_>) -> Result<(), SinkError>,
{
    for (n, entry) in Documents::open(dir, name)? {
        report.counts(name).read += 1;
        let position = format!("#{n}");
        match entry {
            Entry::Document(doc) => {
                let id = fields::id_of(&doc).unwrap_or(position);
                if !seen.first_sighting(name, &id)? {
                    report.skip(name, &id, DUPLICATE_ID);
                    continue;
                }
                visit(doc, id, report, sink).await?;
            }
            Entry::Broken(reason) => report.skip(name, &position, reason),
        }
    }
    Ok(())
}

/// Re-reads every record migrated (written by this run or found from an
/// earlier one).
async fn verify(
    store: &dyn Store,
    log: &mut Scratch,
    report: &mut Report,
) -> Result<(), MigrateError> {
    for name in report::COLLECTIONS {
        let verified = report.verified.entry(name.to_owned()).or_default();
        let mut after: Option<String> = None;
        loop {
            let page = log.migrated(name, after.as_deref(), MAX_BATCH_GET)?;
            let Some((last, _, _)) = page.last() else {
                break;
            };
            after = Some(last.clone());
            let chunk: Vec<Key> = page
                .into_iter()
                .map(|(_, pk, sk)| Key::new(pk, sk))
                .collect();
            let found = store.batch_get(&chunk).await.map_err(SinkError::Store)?;
            let present: std::collections::HashSet<Key> =
                found.iter().filter_map(Key::of).collect();
            verified.checked += chunk.len() as u64;
            verified.missing.extend(
                chunk
                    .iter()
                    .filter(|k| !present.contains(k))
                    .map(|k| format!("{}/{}", k.pk, k.sk)),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{BASE_SECS, collection, date, decimal, oid};
    use bson::doc;
    use pc_billing::keys::invoice_key;
    use pc_platform::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn an_invoice_line_read_twice_is_counted_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let partner = oid(1, 1, BASE_SECS);
        let invoice = oid(7, 1, BASE_SECS);
        collection(
            dir.path(),
            "partners",
            &[doc! {"_id": partner, "name": "Acme", "slug": "acme", "createdAt": date(BASE_SECS)}],
        )
        .expect("partners written");
        // No amount of its own: its lines make it up.
        collection(
            dir.path(),
            "invoices",
            &[
                doc! {"_id": invoice, "partner": partner, "billingPeriod": "2024-01",
                "stripeStatus": "paid", "createdAt": date(BASE_SECS)},
            ],
        )
        .expect("invoices written");
        let line = |n, amount: &str| {
            doc! {"_id": oid(8, n, BASE_SECS), "invoice": invoice, "billingPeriod": "2024-01",
            "amount": decimal(amount)}
        };
        collection(
            dir.path(),
            "invoicelines",
            &[line(1, "50.00"), line(2, "25.00"), line(1, "50.00")],
        )
        .expect("lines written");

        let store = EmbeddedStore::in_memory();
        let report = migrate(&store, &Options::new(dir.path()), "test")
            .await
            .expect("the migration runs");
        let text = report.render();
        let lines = &report.counts["invoicelines"];
        assert_eq!(
            (lines.read, lines.written, lines.skipped),
            (3, 2, 1),
            "{text}"
        );
        let stored = store
            .get(&invoice_key(&invoice.to_hex()))
            .await
            .expect("read")
            .expect("the invoice");
        assert_eq!(stored["lineCount"], 2, "{text}");
        assert_eq!(stored["amountCents"], 7_500, "{text}");
    }
}
