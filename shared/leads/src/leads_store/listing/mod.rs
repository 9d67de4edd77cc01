//! Reads one page of a lead list by its [`ListPlan`]: merges the plan's
//! partitions in sort-key order, applies the caller's filters to each row,
//! and stops at the end of the page when the rows come in the order asked
//! and the total comes from the counters. Otherwise it reads every
//! candidate, up to the read limit; a list cut by that limit says so
//! (`truncated`), and its total is then the count of the rows read.

//!
//! The partitions' merge, the search reads and the counter totals are
//! modules of their own; this one decides which of them a plan needs.

mod counters;
mod merge;
mod search_reads;

use std::cmp::Ordering;

use pc_platform::store::{Query, SortKey, Store, StoreError, from_item};

use crate::lead::LeadRecord;

use super::QUERY_PAGE;
use super::plan::{ListPlan, Reads, Scope, Total};
use counters::counter_total;
use merge::{Merge, Stream};
use search_reads::{SEARCH_ENTRY_LIMIT, email_lead_ids, get_leads, matching_entries};

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
            entries_answer,
            descending,
        } => {
            let search = search.expect("a words plan has a search");
            let limit = read_limit
                .saturating_mul(ENTRIES_PER_ROW)
                .min(SEARCH_ENTRY_LIMIT);
            let (mut entries, complete) =
                matching_entries(store, &plan.scope, search, limit, *descending).await?;
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
