//! How one lead list request reads: which index partitions hold every row
//! it can match (key conditions), whether they yield rows in the order
//! asked, and where its total comes from.
//!
//! - `search` reads the search entries of its longest word (or, for a whole
//!   email, the email guards across partners);
//! - otherwise the filters pick the narrowest partitions: the open leads by
//!   scheduled date when a `scheduledDate` bound meets statuses that are
//!   all open (the "overdue" view); the status partitions for a
//!   `dealStatus` filter (`eq`, `in`, `ne`, `not_in`); the scheduled
//!   partition for a `scheduledDate` bound; the source partitions for a
//!   `source` filter; else every lead by created date;
//! - each for the caller's partner, the partners of a staff `partnerId`
//!   filter, or every partner.
//!
//! Every filter is applied again to each row read, so a partition only
//! has to hold every matching row. When the filters are exactly the key
//! conditions of status, source and partner, the total is the sum of the
//! partner counters; otherwise it is the count of the rows that matched.

use serde_json::Value;

use pc_api::ListQuery;
use pc_api::list::{Direction, Filter, Operator};

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::LeadEmail;
use crate::lead_search::LeadSearch;

use super::items::Partition;

/// Most partners of a staff `partnerId in` filter read one by one; more
/// are read through the cross-partner partitions.
const MAX_PARTNER_READS: usize = 5;

/// Whose leads a list reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every partner's (staff).
    All,
    /// These partners'.
    Partners(Vec<String>),
}

/// The key-condition reads of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reads {
    /// No row can match.
    Nothing,
    /// These partitions of each partner of the scope, with a sort-key
    /// range (`lower <= sk < upper`, on scheduled-date partitions only).
    Partitions {
        partitions: Vec<Partition>,
        lower: Option<String>,
        upper: Option<String>,
        descending: bool,
    },
    /// The leads with this email, through their email guards.
    Email(LeadEmail),
    /// The search entries of the words starting like `word`. With
    /// `entries_answer`, nothing but the search and the scope filters the
    /// list and it is sorted by created date: the entries alone give the
    /// rows' order and the total.
    Words {
        word: String,
        entries_answer: bool,
        descending: bool,
    },
}

/// Where the total comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Total {
    /// The sum of the scope's counters: of these statuses, of these
    /// sources, or of every status.
    Statuses(Vec<DealStatus>),
    Sources(Vec<LeadSource>),
    /// Counted while reading (complete only when every candidate was read).
    Counted,
}

/// How a lead list request reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPlan {
    pub scope: Scope,
    pub reads: Reads,
    /// The reads yield rows in the order the request sorts by, so reading
    /// can stop at the end of the page once the total is known.
    pub in_order: bool,
    pub total: Total,
    pub search: Option<LeadSearch>,
}

/// Which of `all` the filters on `column` allow (`eq`, `in`, `ne`,
/// `not_in`, `is_null`), and whether every filter on it was one of those.
fn allowed<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    column: &str,
    filters: &[Filter],
) -> (Vec<T>, bool) {
    let mut allowed: Vec<T> = all.to_vec();
    let mut understood = true;
    let texts = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) => items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    for f in filters.iter().filter(|f| f.column == column) {
        let values = texts(&f.value);
        let named = |t: &T| values.iter().any(|v| v == name(*t));
        match f.operator {
            Operator::Eq | Operator::In => allowed.retain(named),
            Operator::Ne | Operator::NotIn => allowed.retain(|t| !named(t)),
            Operator::IsNull => allowed.clear(),
            Operator::IsNotNull => {}
            _ => understood = false,
        }
    }
    (allowed, understood)
}

/// The sort-key range of the `scheduledDate` filters on a scheduled-date
/// partition (sort keys `<scheduledDate>#<id>`), `None` when no filter
/// needs a scheduled date. The range may hold a few rows too many at its
/// ends; the filters applied to each row drop them.
fn scheduled_range(filters: &[Filter]) -> Option<(Option<String>, Option<String>)> {
    let mut needed = false;
    let mut lower: Option<String> = None;
    let mut upper: Option<String> = None;
    for f in filters.iter().filter(|f| f.column == "scheduledDate") {
        let at = f.value.as_str().map(str::to_owned);
        // `<at>$` sorts after every `<at>#<id>`.
        let below = at.as_ref().map(|a| format!("{a}$"));
        match f.operator {
            Operator::Gt | Operator::Gte => lower = lower.max(at),
            Operator::Lt | Operator::Lte => upper = min_some(upper, below),
            Operator::Eq => {
                lower = lower.max(at);
                upper = min_some(upper, below);
            }
            Operator::IsNotNull => {}
            _ => continue,
        }
        needed = true;
    }
    needed.then_some((lower, upper))
}

fn min_some(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The partners the request reads: the caller's, or a staff `partnerId`
/// filter's (`None`: every partner), and whether the `partnerId` filters
/// hold for every lead of those partners.
fn partners_of(query: &ListQuery, scope: Option<&str>) -> (Scope, bool) {
    let partner_filters: Vec<&Filter> = query
        .filters
        .iter()
        .filter(|f| f.column == "partnerId")
        .collect();
    let holds_for = |pid: &str| {
        partner_filters
            .iter()
            .all(|f| match (f.operator, &f.value) {
                (Operator::Eq, Value::String(v)) => v == pid,
                (Operator::In, Value::Array(vs)) => vs.iter().any(|v| v.as_str() == Some(pid)),
                _ => false,
            })
    };
    let scope = match scope {
        Some(own) => Scope::Partners(vec![own.to_owned()]),
        None => {
            let named = partner_filters
                .iter()
                .find_map(|f| match (f.operator, &f.value) {
                    (Operator::Eq, Value::String(v)) => Some(vec![v.clone()]),
                    (Operator::In, Value::Array(vs)) => {
                        let mut ids: Vec<String> = vs
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect();
                        ids.sort();
                        ids.dedup();
                        (ids.len() <= MAX_PARTNER_READS).then_some(ids)
                    }
                    _ => None,
                });
            match named {
                Some(ids) => Scope::Partners(ids),
                None => Scope::All,
            }
        }
    };
    let covered = match &scope {
        Scope::Partners(ids) => ids.iter().all(|p| holds_for(p)),
        Scope::All => partner_filters.is_empty(),
    };
    (scope, covered)
}

/// The only sort of the request, if it has exactly one.
fn single_sort(query: &ListQuery) -> Option<(&str, Direction)> {
    match query.sort.as_slice() {
        [only] => Some((only.column.as_str(), only.direction)),
        _ => None,
    }
}

/// The plan of a list request of a caller limited to `scope` (`None`: staff).
pub fn plan_for(query: &ListQuery, scope: Option<&str>) -> ListPlan {
    let (scope, partners_covered) = partners_of(query, scope);
    let (statuses, statuses_understood) = allowed(
        &DealStatus::ALL,
        DealStatus::as_str,
        "dealStatus",
        &query.filters,
    );
    let (sources, sources_understood) = allowed(
        &LeadSource::ALL,
        LeadSource::as_str,
        "source",
        &query.filters,
    );
    let status_narrowed = statuses.len() < DealStatus::ALL.len();
    let source_narrowed = sources.len() < LeadSource::ALL.len();
    let search = query.search.as_deref().map(LeadSearch::parse);
    let only_keyed_columns = query
        .filters
        .iter()
        .all(|f| matches!(f.column.as_str(), "partnerId" | "dealStatus" | "source"));
    let keyed_exactly = only_keyed_columns
        && partners_covered
        && statuses_understood
        && sources_understood
        && !(status_narrowed && source_narrowed);
    let created_sort = match single_sort(query) {
        Some(("createdAt", direction)) => Some(direction == Direction::Desc),
        _ => None,
    };
    let scheduled_sort = match single_sort(query) {
        Some(("scheduledDate", direction)) => Some(direction == Direction::Desc),
        _ => None,
    };
    let mut in_order = false;
    let reads = match &search {
        Some(LeadSearch::Email(email)) => Reads::Email(email.clone()),
        Some(words @ LeadSearch::Words(_)) => match words.narrowest_word() {
            None => Reads::Nothing,
            Some(word) => Reads::Words {
                word: word.to_owned(),
                entries_answer: created_sort.is_some()
                    && (query.filters.is_empty()
                        || (keyed_exactly && !status_narrowed && !source_narrowed)),
                descending: created_sort.unwrap_or(true),
            },
        },
        None if statuses.is_empty() || sources.is_empty() => Reads::Nothing,
        None => {
            let range = scheduled_range(&query.filters);
            let all_open = statuses.iter().all(|s| !s.is_closed());
            let partitions = match &range {
                Some(_) if all_open => vec![Partition::Open],
                _ if status_narrowed => statuses.iter().map(|s| Partition::Status(*s)).collect(),
                Some(_) => vec![Partition::Scheduled],
                None if source_narrowed => sources.iter().map(|s| Partition::Source(*s)).collect(),
                None => vec![Partition::Created],
            };
            let by_scheduled = partitions[0].by_scheduled_date();
            let (lower, upper) = match range {
                Some(bounds) if by_scheduled => bounds,
                _ => (None, None),
            };
            let asked = if by_scheduled {
                scheduled_sort
            } else {
                created_sort
            };
            in_order = asked.is_some();
            match (&lower, &upper) {
                (Some(lo), Some(hi)) if lo > hi => Reads::Nothing,
                _ => Reads::Partitions {
                    partitions,
                    lower,
                    upper,
                    // Unordered reads go newest first, so a read cut short
                    // keeps the newest rows.
                    descending: asked.unwrap_or(true),
                },
            }
        }
    };
    let total = if search.is_none() && keyed_exactly {
        if source_narrowed {
            Total::Sources(sources)
        } else {
            Total::Statuses(statuses)
        }
    } else {
        Total::Counted
    };
    ListPlan {
        scope,
        reads,
        in_order,
        total,
        search,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads_api::LEADS_LIST;

    fn plan(raw: &str, scope: Option<&str>) -> ListPlan {
        plan_for(&ListQuery::parse(Some(raw), &LEADS_LIST).unwrap(), scope)
    }

    fn filter(f: serde_json::Value) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &f.to_string())
            .finish()
    }

    #[test]
    fn the_default_view_reads_to_the_page_with_counted_totals() {
        let p = plan("", Some("P1"));
        assert_eq!(p.scope, Scope::Partners(vec!["P1".into()]));
        assert!(p.in_order);
        assert_eq!(p.total, Total::Statuses(DealStatus::ALL.to_vec()));
        assert!(
            matches!(&p.reads, Reads::Partitions { partitions, descending: true, .. }
            if partitions == &[Partition::Created])
        );
    }

    #[test]
    fn overdue_reads_the_open_partition_below_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2030-02-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let raw = filter(crate::overdue_filters(now)) + "&sort=scheduledDate:asc";
        let p = plan(&raw, Some("P1"));
        assert!(p.in_order);
        assert_eq!(p.total, Total::Counted);
        assert_eq!(
            p.reads,
            Reads::Partitions {
                partitions: vec![Partition::Open],
                lower: None,
                upper: Some("2030-02-01T00:00:00.000Z$".into()),
                descending: false,
            }
        );
    }

    #[test]
    fn staff_status_filters_read_status_partitions_of_every_partner() {
        let raw = filter(serde_json::json!([
            {"column": "dealStatus", "operator": "in", "value": ["won", "new"]}
        ]));
        let p = plan(&raw, None);
        assert_eq!(p.scope, Scope::All);
        assert_eq!(
            p.total,
            Total::Statuses(vec![DealStatus::New, DealStatus::Won])
        );
        assert!(matches!(&p.reads, Reads::Partitions { partitions, .. }
            if partitions == &[Partition::Status(DealStatus::New), Partition::Status(DealStatus::Won)]));
        let none = filter(serde_json::json!([
            {"column": "dealStatus", "operator": "eq", "value": "won"},
            {"column": "dealStatus", "operator": "eq", "value": "new"}
        ]));
        assert_eq!(plan(&none, None).reads, Reads::Nothing);
    }

    #[test]
    fn searches_read_entries_or_the_email_index() {
        let p = plan("search=Ann%20Lee", None);
        assert_eq!(
            p.reads,
            Reads::Words {
                word: "ann".into(),
                entries_answer: true,
                descending: true,
            }
        );
        assert_eq!(p.total, Total::Counted);
        let p = plan("search=ann%40x.io&sort=email:asc", Some("P1"));
        assert!(matches!(p.reads, Reads::Email(_)));
    }

    #[test]
    fn another_partners_filter_is_not_a_key_for_a_scoped_caller() {
        let raw = filter(serde_json::json!([
            {"column": "partnerId", "operator": "eq", "value": "P2"}
        ]));
        let p = plan(&raw, Some("P1"));
        assert_eq!(p.scope, Scope::Partners(vec!["P1".into()]));
        assert_eq!(p.total, Total::Counted);
        let p = plan(&raw, None);
        assert_eq!(p.scope, Scope::Partners(vec!["P2".into()]));
        assert_eq!(p.total, Total::Statuses(DealStatus::ALL.to_vec()));
    }
}
