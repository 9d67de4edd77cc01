//! What a run did, collection by collection: counts, every record skipped
//! with its reason, the notes on how values were mapped, and the
//! verification that re-read what was written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The collections, in the order they are migrated.
pub const COLLECTIONS: [&str; 8] = [
    "partners",
    "users",
    "leads",
    "meetings",
    "billings",
    "invoices",
    "invoicelines",
    "events",
];

/// Counts of one collection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Documents read from the dump (broken positions included).
    pub read: u64,
    /// Records written by this run (a dry run: that would be written).
    pub written: u64,
    /// Records found already migrated (a re-run, a resumed run).
    pub unchanged: u64,
    /// Documents folded into another record (duplicate leads).
    pub merged: u64,
    /// Documents not migrated, each listed with its reason.
    pub skipped: u64,
}

/// A document that was not migrated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub collection: String,
    /// The document's `_id`, or its position when it has none.
    pub id: String,
    pub reason: String,
}

/// The verification of one collection: records re-read and found as
/// written, and the ones that were not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub checked: u64,
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub target: String,
    pub counts: BTreeMap<String, Counts>,
    pub skips: Vec<Skip>,
    /// How values were mapped (billing terms, defaults applied), once each.
    pub notes: Vec<String>,
    pub verified: BTreeMap<String, Verified>,
}

impl Report {
    pub fn counts(&mut self, collection: &str) -> &mut Counts {
        self.counts.entry(collection.to_owned()).or_default()
    }

    pub fn skip(&mut self, collection: &str, id: &str, reason: impl Into<String>) {
        self.counts(collection).skipped += 1;
        self.skips.push(Skip {
            collection: collection.to_owned(),
            id: id.to_owned(),
            reason: reason.into(),
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// True when every written record was found again.
    pub fn verified_ok(&self) -> bool {
        self.verified.values().all(|v| v.missing.is_empty())
    }

    /// The report as printed and written to `--report`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mode = if self.dry_run {
            "DRY RUN: nothing was written; \"written\" counts what a real run would write"
        } else {
            "migration run"
        };
        let _ = writeln!(
            out,
            "# Migration report\n\n{mode}\ntarget: {}\n",
            self.target
        );
        if !self.notes.is_empty() {
            let _ = writeln!(out, "## How values were mapped\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "## Skipped records ({})\n", self.skips.len());
        for skip in &self.skips {
            let _ = writeln!(out, "- {} {}: {}", skip.collection, skip.id, skip.reason);
        }
        out.push('\n');
        let _ = writeln!(out, "## Verification (re-read after writing)\n");
        for name in COLLECTIONS {
            let Some(v) = self.verified.get(name) else {
                continue;
            };
            let state = if v.missing.is_empty() {
                "ok".to_owned()
            } else {
                format!("{} MISSING: {}", v.missing.len(), v.missing.join(", "))
            };
            let _ = writeln!(out, "- {name}: {} re-read, {state}", v.checked);
        }
        let _ = writeln!(
            out,
            "\n## Counts\n\n| collection | read | written | already there | merged | skipped |\n|---|---|---|---|---|---|"
        );
        for name in COLLECTIONS {
            let c = self.counts.get(name).cloned().unwrap_or_default();
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} |",
                c.read, c.written, c.unchanged, c.merged, c.skipped
            );
        }
        out
    }
}
