//! The on-disk scratch index of one run: which lead each partner+email
//! keeps (the oldest), which keeper each lead folds into, and the meeting
//! starts of each kept lead. A dump's order is not creation order, so the
//! leads are read once to fill it before any is written; kept in a redb
//! file beside the temporary directory, removed at the end, so memory
//! stays flat for millions of leads.

use std::path::PathBuf;

use redb::{Database, Durability, ReadableTable, TableDefinition, WriteTransaction};

/// lead id → `pid NUL email NUL offset` (where its document starts in
/// the uncompressed collection file).
const LEADS: TableDefinition<&str, &str> = TableDefinition::new("leads");
/// `pid NUL email` → created (8 bytes, order-preserving) + keeper id.
const KEEPERS: TableDefinition<&str, &[u8]> = TableDefinition::new("keepers");
/// `keeper id NUL meeting id NUL document id` → `start NUL offset`: the
/// meeting's start (timestamp text) and where its document starts in the
/// uncompressed collection file.
const STARTS: TableDefinition<&str, &str> = TableDefinition::new("starts");

/// `collection NUL _id` of every document read by a counted pass.
const SEEN: TableDefinition<&str, ()> = TableDefinition::new("seen");

/// `collection NUL pk NUL sk` of every record migrated (written or found).
const MIGRATED: TableDefinition<&str, ()> = TableDefinition::new("migrated");

/// The page cache of one scratch file. A run has three (the `_id`s seen,
/// the leads' keepers and meetings, the migrated keys) beside the store's
/// own cache, all within the migration's 300 MB (docs/benchmarks.md).
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Inserts per scratch commit.
const OPS_PER_COMMIT: usize = 50_000;

pub struct Scratch {
    db: Option<Database>,
    path: PathBuf,
    txn: Option<WriteTransaction>,
    ops: usize,
}

fn fail(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("scratch index: {e}"))
}

/// Created time as bytes that sort like the time (sign bit flipped).
fn order_bytes(created_ms: i64) -> [u8; 8] {
    ((created_ms as u64) ^ (1 << 63)).to_be_bytes()
}

impl Scratch {
    pub fn create() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "pc-migrate-scratch-{}-{nanos}.redb",
            std::process::id()
        ));
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(fail)?;
        Ok(Self {
            db: Some(db),
            path,
            txn: None,
            ops: 0,
        })
    }

    fn txn(&mut self) -> std::io::Result<&WriteTransaction> {
        if self.txn.is_none() {
            let db = self.db.as_ref().expect("open until dropped");
            let mut txn = db.begin_write().map_err(fail)?;
            // A scratch file needs no sync (a new run builds its own), but
            // `None` would never free a replaced page: the file would grow
            // with every commit. `Eventual` frees them and does not sync.
            txn.set_durability(Durability::Eventual);
            self.txn = Some(txn);
        }
        Ok(self.txn.as_ref().expect("just begun"))
    }

    fn counted(&mut self) -> std::io::Result<()> {
        self.ops += 1;
        if self.ops.is_multiple_of(OPS_PER_COMMIT)
            && let Some(txn) = self.txn.take()
        {
            txn.commit().map_err(fail)?;
        }
        Ok(())
    }

    /// Records a lead whose document starts at byte `offset`; answers
    /// false when its id was recorded already.
    pub fn add_lead(
        &mut self,
        id: &str,
        partner_id: &str,
        email: &str,
        created_ms: i64,
        offset: u64,
    ) -> std::io::Result<bool> {
        let group = format!("{partner_id}\0{email}");
        {
            let txn = self.txn()?;
            let mut leads = txn.open_table(LEADS).map_err(fail)?;
            if leads.get(id).map_err(fail)?.is_some() {
                return Ok(false);
            }
            leads
                .insert(id, format!("{group}\0{offset}").as_str())
                .map_err(fail)?;
            let mut keepers = txn.open_table(KEEPERS).map_err(fail)?;
            let mut candidate = order_bytes(created_ms).to_vec();
            candidate.extend_from_slice(id.as_bytes());
            let older = keepers
                .get(group.as_str())
                .map_err(fail)?
                .is_some_and(|current| current.value() <= candidate.as_slice());
            if !older {
                keepers
                    .insert(group.as_str(), candidate.as_slice())
                    .map_err(fail)?;
            }
        }
        self.counted()?;
        Ok(true)
    }

    /// The lead `lead_id` folds into (itself when it is the oldest of its
    /// partner and email) and its partner; `None` for a lead not recorded.
    pub fn keeper_of(&mut self, lead_id: &str) -> std::io::Result<Option<(String, String)>> {
        let txn = self.txn()?;
        let leads = txn.open_table(LEADS).map_err(fail)?;
        let Some(group) = leads.get(lead_id).map_err(fail)? else {
            return Ok(None);
        };
        let Some((group, _offset)) = group
            .value()
            .rsplit_once('\0')
            .map(|(g, o)| (g.to_owned(), o.to_owned()))
        else {
            return Ok(None);
        };
        let partner = group.split('\0').next().unwrap_or_default().to_owned();
        let keepers = txn.open_table(KEEPERS).map_err(fail)?;
        let keeper = keepers.get(group.as_str()).map_err(fail)?.map(|v| {
            (
                String::from_utf8_lossy(&v.value()[8..]).into_owned(),
                partner,
            )
        });
        Ok(keeper)
    }

    /// The leads recorded, `limit` at a time after `after` (exclusive), in
    /// id order (creation order for ObjectIds): `(id, offset)`.
    pub fn leads_in_order(
        &mut self,
        after: Option<&str>,
        limit: usize,
    ) -> std::io::Result<Vec<(String, u64)>> {
        // The offset ends the value.
        self.in_order(LEADS, after, limit, |v| v.rsplit_once('\0').map(|(_, o)| o))
    }

    /// Keys and document offsets of `table`, `limit` at a time after
    /// `after` (exclusive), in key order; `offset` finds the offset's text
    /// in a value.
    fn in_order(
        &mut self,
        table: TableDefinition<&str, &str>,
        after: Option<&str>,
        limit: usize,
        offset: fn(&str) -> Option<&str>,
    ) -> std::io::Result<Vec<(String, u64)>> {
        let txn = self.txn()?;
        let entries = txn.open_table(table).map_err(fail)?;
        let range = match after {
            Some(a) => {
                entries.range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
            }
            None => entries.range::<&str>(..),
        };
        let mut found = Vec::new();
        for entry in range.map_err(fail)? {
            let (key, value) = entry.map_err(fail)?;
            let at = offset(value.value())
                .and_then(|o| o.parse().ok())
                .ok_or_else(|| fail("an entry without its document's offset"))?;
            found.push((key.value().to_owned(), at));
            if found.len() == limit {
                break;
            }
        }
        Ok(found)
    }

    /// Records that a document of `collection` with `_id` `id` was read;
    /// answers false when one was read before (a duplicate `_id` in the
    /// dump, which would otherwise look like a record migrated by an
    /// earlier run).
    pub fn first_sighting(&mut self, collection: &str, id: &str) -> std::io::Result<bool> {
        let seen = {
            let txn = self.txn()?;
            let mut seen = txn.open_table(SEEN).map_err(fail)?;
            seen.insert(format!("{collection}\0{id}").as_str(), ())
                .map_err(fail)?
                .is_none()
        };
        self.counted()?;
        Ok(seen)
    }

    /// Remembers a migrated record's key for the verification pass.
    pub fn add_migrated(&mut self, collection: &str, pk: &str, sk: &str) -> std::io::Result<()> {
        {
            let txn = self.txn()?;
            let mut keys = txn.open_table(MIGRATED).map_err(fail)?;
            keys.insert(format!("{collection}\0{pk}\0{sk}").as_str(), ())
                .map_err(fail)?;
        }
        self.counted()
    }

    /// The keys of the migrated records of `collection`, `limit` at a
    /// time after `after` (exclusive).
    pub fn migrated(
        &mut self,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> std::io::Result<Vec<(String, String, String)>> {
        let txn = self.txn()?;
        let keys = txn.open_table(MIGRATED).map_err(fail)?;
        let from = match after {
            Some(a) => format!("{a}\0"),
            None => format!("{collection}\0"),
        };
        let to = format!("{collection}\u{1}");
        let mut found = Vec::new();
        for entry in keys.range(from.as_str()..to.as_str()).map_err(fail)? {
            let (key, _) = entry.map_err(fail)?;
            let full = key.value().to_owned();
            let mut parts = full.splitn(3, '\0').skip(1);
            let pk = parts.next().unwrap_or_default().to_owned();
            let sk = parts.next().unwrap_or_default().to_owned();
            found.push((full, pk, sk));
            if found.len() == limit {
                break;
            }
        }
        Ok(found)
    }

    /// Records a meeting of a kept lead (its document `doc_id` starts at
    /// byte `offset`).
    pub fn add_meeting_start(
        &mut self,
        keeper: &str,
        meeting_id: &str,
        doc_id: &str,
        start: &str,
        offset: u64,
    ) -> std::io::Result<()> {
        {
            let txn = self.txn()?;
            let mut starts = txn.open_table(STARTS).map_err(fail)?;
            starts
                .insert(
                    format!("{keeper}\0{meeting_id}\0{doc_id}").as_str(),
                    format!("{start}\0{offset}").as_str(),
                )
                .map_err(fail)?;
        }
        self.counted()
    }

    /// The meetings of a kept lead: `(meeting id, start)`.
    pub fn meeting_starts(&mut self, keeper: &str) -> std::io::Result<Vec<(String, String)>> {
        let txn = self.txn()?;
        let starts = txn.open_table(STARTS).map_err(fail)?;
        let from = format!("{keeper}\0");
        let to = format!("{keeper}\u{1}");
        let mut found = Vec::new();
        for entry in starts.range(from.as_str()..to.as_str()).map_err(fail)? {
            let (key, value) = entry.map_err(fail)?;
            let (meeting, _) = key.value()[from.len()..]
                .rsplit_once('\0')
                .ok_or_else(|| fail("a meeting without its document id"))?;
            let (start, _) = value
                .value()
                .split_once('\0')
                .ok_or_else(|| fail("a meeting without its offset"))?;
            found.push((meeting.to_owned(), start.to_owned()));
        }
        Ok(found)
    }

    /// The meetings recorded, `limit` at a time after `after` (a key this
    /// answered before, exclusive), in the order of their leads' ids:
    /// `(key, offset)`.
    pub fn meetings_in_order(
        &mut self,
        after: Option<&str>,
        limit: usize,
    ) -> std::io::Result<Vec<(String, u64)>> {
        // The offset follows the start.
        self.in_order(STARTS, after, limit, |v| v.split_once('\0').map(|(_, o)| o))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(txn) = self.txn.take() {
            let _ = txn.abort();
        }
        self.db.take();
        let _ = std::fs::remove_file(&self.path);
    }
}
