//! The leads a search finds: through the search entries of its rarest
//! word or the email guards, then read by id in batches.
//!
//! Every search entry carries all the words of its lead, so the entries of
//! one word decide the whole search; the cost is the number of entries of
//! the word read. Which word has the fewest is learnt from one page of
//! each word's entries, read concurrently:
//!
//! - a word whose first page is also its last has a known count, and the
//!   fewest of those wins (nothing more is read);
//! - when every first page is full, the share of a page's entries that
//!   match the whole search tells the sizes apart: the leads matching the
//!   search are that share of each word's entries (|A∩B| = fA·|A| =
//!   fB·|B|), so the word with the highest share has the fewest entries.
//! - when every page is full and no entry matches, the shares are all
//!   zero and say nothing, so every word is read on by one more page, all
//!   at once, until a word ends or an entry matches (or the limit nears):
//!   reading the words in step costs at most their number times the
//!   rarest word's entries, where guessing could read a word a hundred
//!   times larger. Shares still equal fall back to the longest word.
//!
//! The chosen word's entries are then read on from its last page's
//! cursor, at most [`SEARCH_ENTRY_LIMIT`] entries in all, which bounds a
//! search's round trips: one per [`QUERY_PAGE`] entries of its words (of
//! its [`PROBED_WORDS`] longest) read in step, plus one per page of the
//! chosen word up to the limit, plus the batch reads of the page's leads.
//! A search whose rarest word has more entries answers from those read,
//! with `truncated: true`.

use std::collections::HashSet;

use futures::future::try_join_all;
use pc_platform::store::{
    Cursor, Index, Item, MAX_BATCH_GET, Query, SortKey, Store, StoreError, from_item,
};
use serde_json::Value;

use crate::lead::LeadRecord;
use crate::lead_search::{LeadSearch, indexed_word};

use crate::leads_store::QUERY_PAGE;
use crate::leads_store::items::{email_guard_key, email_partition, lead_key, word_partition};
use crate::leads_store::plan::Scope;
use pc_platform::store::pages::query_all;

/// Most search entries one search reads (the words' first pages
/// included): 16 pages of [`QUERY_PAGE`]. The embedded store read a page
/// of entries in about 7 ms over a million leads on a busy 2-core machine
/// (103 pages in 732 ms), so this keeps a search whose every word is
/// common near 120 ms, under the 200 ms it is allowed.
pub const SEARCH_ENTRY_LIMIT: usize = 16 * QUERY_PAGE;

/// Most words of one search whose first page is read: a search of many
/// words costs no more round trips than one of four.
const PROBED_WORDS: usize = 4;

/// One search entry as a search needs it.
struct Entry {
    created: String,
    id: String,
    /// Every word of the search starts one of the lead's words.
    matches: bool,
}

impl Entry {
    fn of(item: &Item, search: &LeadSearch) -> Option<Self> {
        let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
        let words: Vec<String> = item
            .get("words")
            .and_then(Value::as_array)
            .map(|ws| {
                ws.iter()
                    .filter_map(|w| w.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Some(Entry {
            created: text("createdAt")?,
            id: text("leadId")?,
            matches: search.matches_words(&words),
        })
    }
}

/// One page of a word's entries: the entries and where the next begins.
struct EntryPage {
    entries: Vec<Entry>,
    cursor: Option<Cursor>,
}

impl EntryPage {
    fn matching(&self) -> usize {
        self.entries.iter().filter(|e| e.matches).count()
    }
}

/// Whether the pages read of each word cannot tell the words apart: more
/// than one word, none ended, no entry matching the search.
fn undecided(pages: &[EntryPage]) -> bool {
    pages.len() > 1
        && pages
            .iter()
            .all(|p| p.cursor.is_some() && p.matching() == 0)
}

async fn read_page(
    store: &dyn Store,
    query: &Query,
    cursor: Option<Cursor>,
    search: &LeadSearch,
) -> Result<EntryPage, StoreError> {
    let page = store
        .query(&query.clone().limit(QUERY_PAGE).after(cursor))
        .await?;
    Ok(EntryPage {
        entries: page
            .items
            .iter()
            .filter_map(|item| Entry::of(item, search))
            .collect(),
        cursor: page.cursor,
    })
}

/// Which word to read on from, by the pages read of each (see the module).
fn rarest(words: &[&str], pages: &[EntryPage]) -> usize {
    let known = (0..pages.len())
        .filter(|&i| pages[i].cursor.is_none())
        .min_by_key(|&i| pages[i].entries.len());
    if let Some(i) = known {
        return i;
    }
    // Shares compared as fractions (matching / read), without division.
    let share = |a: usize, b: usize| {
        let (pa, pb) = (&pages[a], &pages[b]);
        (pa.matching() * pb.entries.len()).cmp(&(pb.matching() * pa.entries.len()))
    };
    (0..pages.len())
        .max_by(|&a, &b| {
            share(a, b)
                .then(words[a].chars().count().cmp(&words[b].chars().count()))
                .then(b.cmp(&a))
        })
        .unwrap_or(0)
}

/// The ids of the leads whose search entries match `search`, with their
/// created dates (`(createdAt, id)`, each lead once), and whether every
/// entry of the rarest word was read (at most `limit` entries, see
/// [`SEARCH_ENTRY_LIMIT`]). Entries are read in the created order asked
/// (`descending`), so a search cut short keeps mostly the leads the list
/// shows first.
pub(super) async fn matching_entries(
    store: &dyn Store,
    scope: &Scope,
    search: &LeadSearch,
    limit: usize,
    descending: bool,
) -> Result<(Vec<(String, String)>, bool), StoreError> {
    let LeadSearch::Words(words) = search else {
        return Ok((Vec::new(), true));
    };
    // The longest words are the likeliest to be rare; the others are
    // still checked on every entry read.
    let mut words: Vec<&str> = words.iter().map(|w| indexed_word(w)).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words.truncate(PROBED_WORDS);
    if words.is_empty() {
        return Ok((Vec::new(), true));
    }
    let partitions: Vec<(Index, Option<&str>)> = match scope {
        Scope::All => vec![(Index::Gsi1, None)],
        Scope::Partners(ids) => ids
            .iter()
            .map(|p| (Index::Table, Some(p.as_str())))
            .collect(),
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut read = 0;
    for (index, partner) in partitions {
        let queries: Vec<Query> = words
            .iter()
            .map(|word| {
                let query = Query::partition(index, word_partition(partner, word))
                    .sk(SortKey::BeginsWith((*word).to_owned()));
                if descending {
                    query.descending()
                } else {
                    query
                }
            })
            .collect();
        let mut pages =
            try_join_all(queries.iter().map(|q| read_page(store, q, None, search))).await?;
        read += pages.iter().map(|p| p.entries.len()).sum::<usize>();
        while undecided(&pages) && read + pages.len() * QUERY_PAGE <= limit {
            let next = try_join_all(
                pages
                    .iter_mut()
                    .zip(&queries)
                    .map(|(page, q)| read_page(store, q, page.cursor.take(), search)),
            )
            .await?;
            for (page, more) in pages.iter_mut().zip(next) {
                read += more.entries.len();
                page.entries.extend(more.entries);
                page.cursor = more.cursor;
            }
        }
        let chosen = rarest(&words, &pages);
        let mut page = pages.swap_remove(chosen);
        loop {
            for entry in page.entries.drain(..) {
                if entry.matches && seen.insert(entry.id.clone()) {
                    found.push((entry.created, entry.id));
                }
            }
            let Some(cursor) = page.cursor.take() else {
                break;
            };
            if read >= limit {
                return Ok((found, false));
            }
            page = read_page(store, &queries[chosen], Some(cursor), search).await?;
            read += page.entries.len();
        }
    }
    Ok((found, true))
}

/// The ids of the leads with `email` in the scope, through their guards.
pub(super) async fn email_lead_ids(
    store: &dyn Store,
    scope: &Scope,
    email: &str,
) -> Result<Vec<String>, StoreError> {
    let guards = match scope {
        Scope::Partners(ids) => {
            let keys: Vec<_> = ids.iter().map(|p| email_guard_key(p, email)).collect();
            store.batch_get(&keys).await?
        }
        Scope::All => {
            let query = Query::partition(Index::Gsi1, email_partition(email));
            query_all(store, query, usize::MAX).await?
        }
    };
    Ok(guards
        .iter()
        .filter_map(|g| g.get("leadId").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// The leads of `ids` that exist, in the order of `ids`.
pub(super) async fn get_leads(
    store: &dyn Store,
    ids: &[String],
) -> Result<Vec<LeadRecord>, StoreError> {
    let mut leads = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| lead_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            leads.push(from_item(item)?);
        }
    }
    Ok(leads)
}
