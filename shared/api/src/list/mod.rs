//! The list contract every collection endpoint shares: `page`, `perPage`, `sort`, `filter`,
//! `search`, checked against the columns a list declares (anything unknown
//! is a 400), and the `{list, meta}` answer.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 200;

/// What a column holds, which decides the filter values it accepts.
#[derive(Clone, Copy, Debug)]
pub enum ColumnKind {
    Text,
    Number,
    Bool,
    /// RFC 3339 timestamps.
    Date,
    Enum(&'static [&'static str]),
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub sortable: bool,
}

impl Column {
    pub const fn new(name: &'static str, kind: ColumnKind) -> Self {
        Self {
            name,
            kind,
            sortable: true,
        }
    }
}

/// The columns, search fields and extra parameters one list accepts.
#[derive(Clone, Copy, Debug)]
pub struct ListSpec {
    pub columns: &'static [Column],
    /// Fields `search` matches (empty: `search` is not accepted).
    pub search_fields: &'static [&'static str],
    pub default_sort: (&'static str, Direction),
    /// Further query parameters this list takes (`unreadOnly`, `entity`...).
    pub extra_params: &'static [&'static str],
}

impl ListSpec {
    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: String,
    pub direction: Direction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
    IsNull,
    IsNotNull,
    Contains,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub column: String,
    pub operator: Operator,
    pub value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    column: String,
    operator: String,
    #[serde(default)]
    value: Value,
}

/// A parsed and checked list request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    pub sort: Vec<Sort>,
    pub filters: Vec<Filter>,
    pub search: Option<String>,
    pub extra: HashMap<String, String>,
}

/// The `meta` of every collection answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// Present and `true` only when the list could not read every row it
    /// may match (a list that documents a read limit and reached it): rows
    /// may be missing and `total` counts only the rows read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// `{"list": [...], "meta": {...}}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ListResponse<T> {
    pub list: Vec<T>,
    pub meta: ListMeta,
}

impl<T> ListResponse<T> {
    /// A whole collection answered as one page.
    pub fn all(list: Vec<T>) -> Self {
        let total = list.len();
        Self {
            list,
            meta: ListMeta {
                total,
                page: 0,
                per_page: total.max(1),
                truncated: false,
            },
        }
    }
}

fn bad(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

impl ListQuery {
    /// Parses the raw query string against `spec`.
    pub fn parse(raw: Option<&str>, spec: &ListSpec) -> Result<Self, ApiError> {
        let mut query = ListQuery {
            page: 0,
            per_page: DEFAULT_PER_PAGE,
            sort: Vec::new(),
            filters: Vec::new(),
            search: None,
            extra: HashMap::new(),
        };
        let mut errors = Vec::new();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "page" => match value.parse::<usize>() {
                    Ok(p) if p <= 1_000_000 => query.page = p,
                    _ => errors.push(bad("page", "must be a whole number from 0")),
                },
                "perPage" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => query.per_page = n,
                    _ => errors.push(bad("perPage", format!("must be from 1 to {MAX_PER_PAGE}"))),
                },
                "sort" => match parse_sort(&value, spec) {
                    Ok(s) => query.sort.push(s),
                    Err(e) => errors.push(e),
                },
                "filter" => match parse_filters(&value, spec) {
                    Ok(f) => query.filters.extend(f),
                    Err(e) => errors.extend(e),
                },
                "search" if !spec.search_fields.is_empty() => {
                    let text = value.trim();
                    if text.chars().count() > 200 {
                        errors.push(bad("search", "at most 200 characters"));
                    } else if !text.is_empty() {
                        query.search = Some(text.to_lowercase());
                    }
                }
                other if spec.extra_params.contains(&other) => {
                    query.extra.insert(other.to_owned(), value.into_owned());
                }
                other => errors.push(bad(other, "unknown query parameter")),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        if query.sort.is_empty() {
            let (column, direction) = spec.default_sort;
            query.sort.push(Sort {
                column: column.to_owned(),
                direction,
            });
        }
        Ok(query)
    }

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

fn parse_sort(value: &str, spec: &ListSpec) -> Result<Sort, FieldError> {
    let (column, direction) = value.split_once(':').unwrap_or((value, "asc"));
    let direction = match direction {
        "asc" => Direction::Asc,
        "desc" => Direction::Desc,
        other => return Err(bad("sort", format!("direction {other} is not asc or desc"))),
    };
    match spec.column(column) {
        Some(c) if c.sortable => Ok(Sort {
            column: column.to_owned(),
            direction,
        }),
        _ => Err(bad("sort", format!("cannot sort by {column}"))),
    }
}

fn parse_filters(value: &str, spec: &ListSpec) -> Result<Vec<Filter>, Vec<FieldError>> {
    let raw: Vec<RawFilter> = serde_json::from_str(value).map_err(|e| {
        vec![bad(
            "filter",
            format!("must be a JSON array of {{column, operator, value}}: {e}"),
        )]
    })?;
    let mut filters = Vec::new();
    let mut errors = Vec::new();
    for (i, f) in raw.into_iter().enumerate() {
        let field = format!("filter[{i}]");
        let Some(column) = spec.column(&f.column) else {
            errors.push(bad(&field, format!("unknown column {}", f.column)));
            continue;
        };
        let operator: Operator = match serde_json::from_value(Value::String(f.operator.clone())) {
            Ok(op) => op,
            Err(_) => {
                errors.push(bad(&field, format!("unknown operator {}", f.operator)));
                continue;
            }
        };
        match check_value(column, operator, f.value) {
            Ok(value) => filters.push(Filter {
                column: f.column,
                operator,
                value,
            }),
            Err(message) => errors.push(bad(&field, message)),
        }
    }
    if errors.is_empty() {
        Ok(filters)
    } else {
        Err(errors)
    }
}

/// Checks a filter value against the column's kind, normalizing dates.
fn check_value(column: &Column, operator: Operator, value: Value) -> Result<Value, String> {
    match operator {
        Operator::IsNull | Operator::IsNotNull => Ok(Value::Null),
        Operator::In | Operator::NotIn => match value {
            Value::Array(items) if items.len() <= 100 => items
                .into_iter()
                .map(|v| check_scalar(column, v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(format!(
                "{} takes an array of at most 100 values",
                column.name
            )),
        },
        Operator::Contains => match (column.kind, value) {
            (ColumnKind::Text, Value::String(s)) => Ok(Value::String(s.to_lowercase())),
            _ => Err(format!(
                "contains takes text, on a text column, not {}",
                column.name
            )),
        },
        Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte
            if matches!(column.kind, ColumnKind::Bool | ColumnKind::Enum(_)) =>
        {
            Err(format!("{} cannot be compared by order", column.name))
        }
        _ => check_scalar(column, value),
    }
}

fn check_scalar(column: &Column, value: Value) -> Result<Value, String> {
    let name = column.name;
    match (column.kind, value) {
        (ColumnKind::Text, Value::String(s)) => Ok(Value::String(s)),
        (ColumnKind::Number, Value::Number(n)) => Ok(Value::Number(n)),
        (ColumnKind::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
        (ColumnKind::Date, Value::String(s)) => DateTime::parse_from_rfc3339(&s)
            .map(|d| Value::String(pc_platform::time::timestamp(d.with_timezone(&Utc))))
            .map_err(|_| format!("{name} takes an RFC 3339 time")),
        (ColumnKind::Enum(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => {
            Ok(Value::String(s))
        }
        (ColumnKind::Enum(allowed), _) => Err(format!("{name} is one of {}", allowed.join(", "))),
        (kind, other) => Err(format!("{name} takes a {kind:?} value, not {other}")),
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
    use super::*;
    use serde_json::json;

    const SPEC: ListSpec = ListSpec {
        columns: &[
            Column::new("name", ColumnKind::Text),
            Column::new("amount", ColumnKind::Number),
            Column::new("active", ColumnKind::Bool),
            Column::new("createdAt", ColumnKind::Date),
            Column::new("status", ColumnKind::Enum(&["new", "won"])),
        ],
        search_fields: &["name"],
        default_sort: ("createdAt", Direction::Desc),
        extra_params: &["unreadOnly"],
    };

    fn encode(filter: Value) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &filter.to_string())
            .finish()
    }

    #[test]
    fn defaults_and_paging() {
        let q = ListQuery::parse(None, &SPEC).unwrap();
        assert_eq!((q.page, q.per_page), (0, DEFAULT_PER_PAGE));
        assert_eq!(q.sort[0].column, "createdAt");
        let q = ListQuery::parse(
            Some("page=2&perPage=10&sort=name:asc&sort=amount:desc"),
            &SPEC,
        )
        .unwrap();
        assert_eq!((q.page, q.per_page, q.sort.len()), (2, 10, 2));
    }

    #[test]
    fn unknown_things_are_400s_naming_them() {
        for raw in [
            "perPage=500",
            "perPage=0",
            "page=-1",
            "sort=nope:asc",
            "sort=name:sideways",
            "bogus=1",
            "filter=notjson",
        ] {
            let e = ListQuery::parse(Some(raw), &SPEC).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{raw}");
            assert!(!e.details.is_empty(), "{raw}");
        }
        for f in [
            json!([{"column": "nope", "operator": "eq", "value": 1}]),
            json!([{"column": "name", "operator": "like", "value": "x"}]),
            json!([{"column": "amount", "operator": "eq", "value": "x"}]),
            json!([{"column": "status", "operator": "eq", "value": "lost"}]),
            json!([{"column": "status", "operator": "lt", "value": "new"}]),
            json!([{"column": "createdAt", "operator": "gt", "value": "yesterday"}]),
        ] {
            let e = ListQuery::parse(Some(&encode(f.clone())), &SPEC).unwrap_err();
            assert_eq!(e.details[0].field, "filter[0]", "{f}");
        }
        assert!(ListQuery::parse(Some("unreadOnly=true"), &SPEC).is_ok());
    }

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
