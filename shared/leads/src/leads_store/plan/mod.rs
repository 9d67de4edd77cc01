//! How one lead list request reads: which index partitions hold every row
//! it can match (key conditions), whether they yield rows in the order
//! asked, and where its total comes from.
//!
//! - `search` reads the search entries of its rarest word (chosen while
//!   reading, see `listing`), or, for a whole email, the email guards;
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

mod filters;

use pc_http::ListQuery;
use pc_http::list::Direction;

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::LeadEmail;
use crate::lead_search::LeadSearch;

use super::items::Partition;
use filters::{allowed, partners_of, scheduled_range, single_sort};

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
    /// The search entries of the search's rarest word. With
    /// `entries_answer`, nothing but the search and the scope filters the
    /// list and it is sorted by created date: the entries alone give the
    /// rows' order and the total.
    Words {
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
        Some(LeadSearch::Words(words)) if words.is_empty() => Reads::Nothing,
        Some(LeadSearch::Words(_)) => Reads::Words {
            entries_answer: created_sort.is_some()
                && (query.filters.is_empty()
                    || (keyed_exactly && !status_narrowed && !source_narrowed)),
            descending: created_sort.unwrap_or(true),
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
