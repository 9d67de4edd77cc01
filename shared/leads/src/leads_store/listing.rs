//! Reads one page of a lead list by its [`ListPlan`]: merges the plan's
//! partitions in sort-key order, applies the caller's filters to each row,
//! and stops at the end of the page when the rows come in the order asked
//! and the total comes from the counters. Otherwise it reads every
//! candidate, up to the read limit; a list cut by that limit says so
//! (`truncated`), and its total is then the count of the rows read.

use std::cmp::Ordering;
use std::collections::{HashSet, VecDeque};

use pc_platform::store::{
    Cursor, Index, Item, MAX_BATCH_GET, Query, SortKey, Store, StoreError, from_item,
};
use serde_json::Value;

use crate::lead::LeadRecord;
use crate::lead_search::{LeadSearch, indexed_word};

use super::items::{
    COUNTERS_PARTITION, counters_key, email_guard_key, email_partition, lead_key, source_counter,
    status_counter, word_partition,
};
use super::plan::{ListPlan, Reads, Scope, Total};
use super::{QUERY_PAGE, query_all};

/// Search entries are a tenth of a lead's size: a search may read this
/// many of them per lead row it may read.
const ENTRIES_PER_ROW: usize = 10;

/// The rows of one page, the list's total, and whether rows may be
/// missing because the read limit cut the read short.
#[derive(Clone, Debug, PartialEq)]
pub struct Listing<R> {
    pub rows: Vec<R>,
    pub total: usize,
    pub truncated: bool,
}

/// The rows a page shows: `skip` rows, then at most `take`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub skip: usize,
    pub take: usize,
}

impl Window {
    fn end(self) -> usize {
        self.skip.saturating_add(self.take)
    }

    fn cut<R>(self, rows: Vec<R>) -> Vec<R> {
        rows.into_iter().skip(self.skip).take(self.take).collect()
    }
}

/// One page of the plan's rows. `row` applies the list's filters and
/// turns a lead into a row (`None`: filtered out); `order` is the order
/// the request sorts by. At most `read_limit` leads are read.
#[tracing::instrument(skip_all, fields(partner_id = ?plan.scope))]
pub async fn list<R>(
    store: &dyn Store,
    plan: &ListPlan,
    window: Window,
    read_limit: usize,
    row: impl Fn(LeadRecord) -> Option<R>,
    order: impl Fn(&R, &R) -> Ordering,
) -> Result<Listing<R>, StoreError> {
    let counted = match &plan.total {
        Total::Counted => None,
        total => Some(counter_total(store, &plan.scope, total).await?),
    };
    let search = plan.search.as_ref();
    let keep = |lead: LeadRecord| {
        if search.is_some_and(|s| !s.matches(&lead)) {
            return None;
        }
        row(lead)
    };
    match &plan.reads {
        Reads::Nothing => Ok(Listing {
            rows: Vec::new(),
            total: 0,
            truncated: false,
        }),
        Reads::Email(email) => {
            let ids = email_lead_ids(store, &plan.scope, email.as_str()).await?;
            let mut rows: Vec<R> = get_leads(store, &ids)
                .await?
                .into_iter()
                .filter_map(&keep)
                .collect();
            rows.sort_by(&order);
            Ok(Listing {
                total: rows.len(),
                rows: window.cut(rows),
                truncated: false,
            })
        }
        Reads::Words {
            word,
            entries_answer,
            descending,
        } => {
            let search = search.expect("a words plan has a search");
            let limit = read_limit.saturating_mul(ENTRIES_PER_ROW);
            let (mut entries, complete) =
                matching_entries(store, &plan.scope, word, search, limit).await?;
            if *entries_answer {
                entries.sort();
                if *descending {
                    entries.reverse();
                }
                let total = entries.len();
                let page: Vec<String> = window.cut(entries).into_iter().map(|e| e.1).collect();
                let rows = get_leads(store, &page)
                    .await?
                    .into_iter()
                    .filter_map(&keep)
                    .collect();
                return Ok(Listing {
                    rows,
                    total,
                    truncated: !complete,
                });
            }
            let read_all = entries.len() <= read_limit;
            entries.truncate(read_limit);
            let ids: Vec<String> = entries.into_iter().map(|e| e.1).collect();
            let mut rows: Vec<R> = get_leads(store, &ids)
                .await?
                .into_iter()
                .filter_map(&keep)
                .collect();
            rows.sort_by(&order);
            Ok(Listing {
                total: rows.len(),
                rows: window.cut(rows),
                truncated: !(complete && read_all),
            })
        }
        Reads::Partitions {
            partitions,
            lower,
            upper,
            descending,
        } => {
            let range = match (lower, upper) {
                (Some(lo), Some(hi)) => SortKey::Between(lo.clone(), hi.clone()),
                (Some(lo), None) => SortKey::Gte(lo.clone()),
                (None, Some(hi)) => SortKey::Lt(hi.clone()),
                (None, None) => SortKey::Any,
            };
            let partners: Vec<Option<&str>> = match &plan.scope {
                Scope::All => vec![None],
                Scope::Partners(ids) => ids.iter().map(|p| Some(p.as_str())).collect(),
            };
            let mut streams = Vec::new();
            for pid in partners {
                for partition in partitions {
                    let index = partition.index(pid.is_some());
                    let mut query = Query::partition(index, partition.key(pid)).sk(range.clone());
                    if *descending {
                        query = query.descending();
                    }
                    streams.push(Stream::new(query));
                }
            }
            // Reading can stop at the page's end only when the rows come in
            // order and the counters give the total; such a read goes to
            // the page's end whatever the limit (a page past the total
            // reads nothing).
            let stop_at_page = plan.in_order && counted.is_some();
            if stop_at_page && counted.is_some_and(|total| window.skip >= total) {
                return Ok(Listing {
                    rows: Vec::new(),
                    total: counted.unwrap_or(0),
                    truncated: false,
                });
            }
            let read_limit = if stop_at_page {
                read_limit.max(window.end())
            } else {
                read_limit
            };
            let page = if stop_at_page {
                window.end().clamp(1, QUERY_PAGE)
            } else {
                QUERY_PAGE
            };
            let mut merged = Merge {
                streams,
                descending: *descending,
                page,
            };
            let mut kept = Vec::new();
            let mut matched = 0;
            let mut read = 0;
            let mut exhausted = false;
            loop {
                if (stop_at_page && kept.len() >= window.end()) || read >= read_limit {
                    break;
                }
                let Some(item) = merged.next(store).await? else {
                    exhausted = true;
                    break;
                };
                read += 1;
                if let Some(r) = keep(from_item::<LeadRecord>(item)?) {
                    matched += 1;
                    if !plan.in_order || kept.len() < window.end() {
                        kept.push(r);
                    }
                }
            }
            let page_complete = stop_at_page && kept.len() >= window.end();
            if !plan.in_order {
                kept.sort_by(&order);
            }
            Ok(Listing {
                rows: window.cut(kept),
                total: counted.unwrap_or(matched),
                truncated: !exhausted && !page_complete,
            })
        }
    }
}

/// One partition read page by page.
struct Stream {
    query: Query,
    buffer: VecDeque<Item>,
    cursor: Option<Cursor>,
    done: bool,
}

impl Stream {
    fn new(query: Query) -> Self {
        Self {
            query,
            buffer: VecDeque::new(),
            cursor: None,
            done: false,
        }
    }

    /// The sort key of the next item, reading a page when needed.
    async fn head(&mut self, store: &dyn Store, page: usize) -> Result<Option<String>, StoreError> {
        while self.buffer.is_empty() && !self.done {
            let query = self.query.clone().limit(page).after(self.cursor.take());
            let found = store.query(&query).await?;
            self.buffer.extend(found.items);
            self.cursor = found.cursor;
            self.done = self.cursor.is_none();
        }
        let (_, sk) = self.query.index.key_attributes();
        Ok(self.buffer.front().map(|item| {
            item.get(sk)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        }))
    }
}

/// Partitions of the same sort-key shape merged into one ordered read.
struct Merge {
    streams: Vec<Stream>,
    descending: bool,
    page: usize,
}

impl Merge {
    async fn next(&mut self, store: &dyn Store) -> Result<Option<Item>, StoreError> {
        let mut best: Option<(usize, String)> = None;
        for (i, stream) in self.streams.iter_mut().enumerate() {
            let Some(sk) = stream.head(store, self.page).await? else {
                continue;
            };
            let better = best
                .as_ref()
                .is_none_or(|(_, b)| if self.descending { sk > *b } else { sk < *b });
            if better {
                best = Some((i, sk));
            }
        }
        Ok(best.and_then(|(i, _)| self.streams[i].buffer.pop_front()))
    }
}

/// The ids of the leads whose search entries match `search`, with their
/// created dates (`(createdAt, id)`, each lead once), and whether every
/// entry of `word` was read (at most `limit`).
async fn matching_entries(
    store: &dyn Store,
    scope: &Scope,
    word: &str,
    search: &LeadSearch,
    limit: usize,
) -> Result<(Vec<(String, String)>, bool), StoreError> {
    let word = indexed_word(word);
    let queries: Vec<Query> = match scope {
        Scope::All => vec![Query::partition(Index::Gsi1, word_partition(None, word))],
        Scope::Partners(ids) => ids
            .iter()
            .map(|p| Query::partition(Index::Table, word_partition(Some(p), word)))
            .collect(),
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut read = 0;
    for query in queries {
        let query = query.sk(SortKey::BeginsWith(word.to_owned()));
        let room = limit.saturating_sub(read);
        let items = query_all(store, query, room.saturating_add(1)).await?;
        if items.len() > room {
            return Ok((found, false));
        }
        read += items.len();
        for item in items {
            let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
            let (Some(id), Some(created)) = (text("leadId"), text("createdAt")) else {
                continue;
            };
            let words: Vec<String> = item
                .get("words")
                .and_then(Value::as_array)
                .map(|ws| {
                    ws.iter()
                        .filter_map(|w| w.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if search.matches_words(&words) && seen.insert(id.clone()) {
                found.push((created, id));
            }
        }
    }
    Ok((found, true))
}

/// The ids of the leads with `email` in the scope, through their guards.
async fn email_lead_ids(
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
async fn get_leads(store: &dyn Store, ids: &[String]) -> Result<Vec<LeadRecord>, StoreError> {
    let mut leads = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| lead_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            leads.push(from_item(item)?);
        }
    }
    Ok(leads)
}

/// The sum of the scope's counters that `total` names.
async fn counter_total(
    store: &dyn Store,
    scope: &Scope,
    total: &Total,
) -> Result<usize, StoreError> {
    let items = match scope {
        Scope::Partners(ids) => {
            let keys: Vec<_> = ids.iter().map(|p| counters_key(p)).collect();
            store.batch_get(&keys).await?
        }
        Scope::All => {
            let query = Query::partition(Index::Gsi1, COUNTERS_PARTITION);
            query_all(store, query, usize::MAX).await?
        }
    };
    let counters: Vec<String> = match total {
        Total::Statuses(statuses) => statuses.iter().map(|s| status_counter(*s)).collect(),
        Total::Sources(sources) => sources.iter().map(|s| source_counter(*s)).collect(),
        Total::Counted => Vec::new(),
    };
    let sum: i64 = items
        .iter()
        .flat_map(|item| counters.iter().map(move |c| item.get(c)))
        .map(|v| v.and_then(Value::as_i64).unwrap_or(0))
        .sum();
    Ok(usize::try_from(sum).unwrap_or(0))
}
