//! What a list request's filters and sort ask for, read one column at a
//! time: the statuses or sources they allow, the scheduled-date range, the
//! partners, the single sort. The plan combines these answers into its
//! reads and total.

use serde_json::Value;

use pc_http::ListQuery;
use pc_http::list::{Direction, Filter, Operator};

use super::Scope;

/// Most partners of a staff `partnerId in` filter read one by one; more
/// are read through the cross-partner partitions.
const MAX_PARTNER_READS: usize = 5;

/// Which of `all` the filters on `column` allow (`eq`, `in`, `ne`,
/// `not_in`, `is_null`), and whether every filter on it was one of those.
pub(super) fn allowed<T: Copy>(
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
pub(super) fn scheduled_range(filters: &[Filter]) -> Option<(Option<String>, Option<String>)> {
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
pub(super) fn partners_of(query: &ListQuery, scope: Option<&str>) -> (Scope, bool) {
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
pub(super) fn single_sort(query: &ListQuery) -> Option<(&str, Direction)> {
    match query.sort.as_slice() {
        [only] => Some((only.column.as_str(), only.direction)),
        _ => None,
    }
}
