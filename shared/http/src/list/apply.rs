//! Answering a list request over rows already read: which rows pass the
//! filters and the search, their order under the requested sorts, and the
//! page cut out of them. Separate from parsing because some lists apply
//! part of a query as key conditions in the store and only the rest here.

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::Value;

use super::{ColumnKind, Direction, Filter, ListMeta, ListQuery, ListResponse, ListSpec, Operator};

impl ListQuery {
    /// The first filter on `column` with `operator`, if any.
    pub fn filter(&self, column: &str, operator: Operator) -> Option<&Value> {
        self.filters
            .iter()
            .find(|f| f.column == column && f.operator == operator)
            .map(|f| &f.value)
    }

    /// Whether a row passes every filter and the search.
    pub fn matches(&self, row: &Value, spec: &ListSpec) -> bool {
        let filters_hold = self
            .filters
            .iter()
            .all(|f| filter_holds(f, row.get(&f.column), spec));
        let search_holds = self.search.as_ref().is_none_or(|needle| {
            spec.search_fields.iter().any(|field| {
                row.get(*field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.to_lowercase().contains(needle.as_str()))
            })
        });
        filters_hold && search_holds
    }

    /// Orders rows by the requested sorts (ties keep their order).
    pub fn sort_rows(&self, rows: &mut [Value]) {
        rows.sort_by(|a, b| self.compare_rows(a, b));
    }

    /// The order of two rows under the requested sorts.
    pub fn compare_rows(&self, a: &Value, b: &Value) -> Ordering {
        for sort in &self.sort {
            let ordering = compare_values(a.get(&sort.column), b.get(&sort.column));
            let ordering = match sort.direction {
                Direction::Asc => ordering,
                Direction::Desc => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Filters, sorts and cuts one page out of `rows`.
    pub fn apply(&self, rows: Vec<Value>, spec: &ListSpec) -> ListResponse<Value> {
        let mut kept: Vec<Value> = rows.into_iter().filter(|r| self.matches(r, spec)).collect();
        self.sort_rows(&mut kept);
        self.page_of(kept)
    }

    /// Cuts this query's page out of rows already filtered and sorted.
    pub fn page_of<T>(&self, rows: Vec<T>) -> ListResponse<T> {
        let total = rows.len();
        let list = rows
            .into_iter()
            .skip(self.page.saturating_mul(self.per_page))
            .take(self.per_page)
            .collect();
        ListResponse {
            list,
            meta: ListMeta {
                total,
                page: self.page,
                per_page: self.per_page,
                truncated: false,
            },
        }
    }
}

fn filter_holds(filter: &Filter, actual: Option<&Value>, spec: &ListSpec) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    let is_date = spec
        .column(&filter.column)
        .is_some_and(|c| matches!(c.kind, ColumnKind::Date));
    let cmp = |v: &Value| match actual {
        Some(a) if is_date => compare_dates(a, v),
        Some(a) => compare_values(Some(a), Some(v)),
        None => Ordering::Less,
    };
    match filter.operator {
        Operator::IsNull => actual.is_none(),
        Operator::IsNotNull => actual.is_some(),
        Operator::Eq => actual.is_some() && cmp(&filter.value) == Ordering::Equal,
        Operator::Ne => actual.is_none() || cmp(&filter.value) != Ordering::Equal,
        Operator::Lt => actual.is_some() && cmp(&filter.value) == Ordering::Less,
        Operator::Lte => actual.is_some() && cmp(&filter.value) != Ordering::Greater,
        Operator::Gt => actual.is_some() && cmp(&filter.value) == Ordering::Greater,
        Operator::Gte => actual.is_some() && cmp(&filter.value) != Ordering::Less,
        Operator::In => {
            actual.is_some()
                && filter
                    .value
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| cmp(v) == Ordering::Equal))
        }
        Operator::NotIn => {
            actual.is_none()
                || filter
                    .value
                    .as_array()
                    .is_some_and(|vs| vs.iter().all(|v| cmp(v) != Ordering::Equal))
        }
        Operator::Contains => actual
            .and_then(Value::as_str)
            .zip(filter.value.as_str())
            .is_some_and(|(a, needle)| a.to_lowercase().contains(needle)),
    }
}

fn compare_dates(a: &Value, b: &Value) -> Ordering {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => compare_values(Some(a), Some(b)),
    }
}

/// Orders JSON values: nulls first, numbers numerically, text
/// case-insensitively (then exactly), booleans false before true.
pub fn compare_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x
            .to_lowercase()
            .cmp(&y.to_lowercase())
            .then_with(|| x.cmp(y)),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{SPEC, encode};
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_sorts_and_pages_rows() {
        let rows = vec![
            json!({"name": "Bravo", "amount": 5, "status": "new", "createdAt": "2024-01-02T00:00:00Z"}),
            json!({"name": "alpha", "amount": 10, "status": "won", "createdAt": "2024-01-03T00:00:00Z"}),
            json!({"name": "Charlie", "amount": null, "status": "new", "createdAt": "2024-01-01T00:00:00.500Z"}),
        ];
        let raw = encode(json!([
            {"column": "status", "operator": "in", "value": ["new", "won"]},
            {"column": "createdAt", "operator": "gte", "value": "2024-01-01T00:00:00.100+00:00"}
        ])) + "&sort=name:asc&perPage=2";
        let q = ListQuery::parse(Some(&raw), &SPEC).unwrap();
        let page = q.apply(rows.clone(), &SPEC);
        assert_eq!(page.meta.total, 3);
        let names: Vec<_> = page
            .list
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alpha", "Bravo"]);

        let q = ListQuery::parse(
            Some(&(encode(json!([{"column": "amount", "operator": "is_null"}])))),
            &SPEC,
        )
        .unwrap();
        assert_eq!(q.apply(rows.clone(), &SPEC).meta.total, 1);
        let q = ListQuery::parse(Some("search=RAV"), &SPEC).unwrap();
        assert_eq!(q.apply(rows, &SPEC).list[0]["name"], "Bravo");
    }
}
