//! Reading a list request: the query string checked against the list's
//! declared columns, every mistake gathered into one 400 naming its
//! parameter, and filter values normalized for their column's kind.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{
    Column, ColumnKind, DEFAULT_PER_PAGE, Direction, Filter, ListQuery, ListSpec, MAX_PER_PAGE,
    Operator, Sort,
};
use crate::error::{ApiError, FieldError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    column: String,
    operator: String,
    #[serde(default)]
    value: Value,
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
        // A paging-only list has no default sort: its rows keep their order.
        if query.sort.is_empty() && !spec.default_sort.0.is_empty() {
            let (column, direction) = spec.default_sort;
            query.sort.push(Sort {
                column: column.to_owned(),
                direction,
            });
        }
        Ok(query)
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
            column: c.name.to_owned(),
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
                column: column.name.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{SPEC, encode};
    use super::*;
    use serde_json::json;

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
    fn an_alias_is_read_as_its_column() {
        let filter = encode(json!([{"column": "label", "operator": "eq", "value": "Acme"}]));
        let q = ListQuery::parse(Some(&format!("{filter}&sort=label:desc")), &SPEC).unwrap();
        assert_eq!(q.filters[0].column, "name");
        assert_eq!(q.sort[0].column, "name");
        let wrong = encode(json!([{"column": "label", "operator": "eq", "value": 5}]));
        let e = ListQuery::parse(Some(&wrong), &SPEC).unwrap_err();
        assert_eq!(e.details[0].field, "filter[0]");
    }

    #[test]
    fn a_paging_only_list_takes_page_and_per_page() {
        const PAGING: ListSpec = ListSpec::paging_only(&["role"]);
        let q = ListQuery::parse(Some("page=1&perPage=20&role=buyer"), &PAGING).unwrap();
        assert_eq!((q.page, q.per_page), (1, 20));
        assert_eq!(q.extra["role"], "buyer");
        assert!(ListQuery::parse(Some("sort=name:asc"), &PAGING).is_err());
    }
}
