//! The list contract every collection endpoint shares: `page`, `perPage`, `sort`, `filter`,
//! `search`, checked against the columns a list declares (anything unknown
//! is a 400), and the `{list, meta}` answer.
mod apply;
mod parse;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub use apply::compare_values;

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
    /// For another name of a column (one a client already sends): the
    /// column it stands for. Filters and sorts on it are read as on that
    /// column, so nothing past parsing sees the alias.
    pub alias_of: Option<&'static str>,
}

impl Column {
    pub const fn new(name: &'static str, kind: ColumnKind) -> Self {
        Self {
            name,
            kind,
            sortable: true,
            alias_of: None,
        }
    }

    /// `name`, accepted in filters and sorts as `column`, which the same
    /// list declares with its kind.
    pub const fn alias(name: &'static str, column: &'static str) -> Self {
        Self {
            name,
            kind: ColumnKind::Text,
            sortable: true,
            alias_of: Some(column),
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
    /// The column called `name`, an alias read as the column it stands for.
    fn column(&self, name: &str) -> Option<&Column> {
        let column = self.columns.iter().find(|c| c.name == name)?;
        match column.alias_of {
            Some(target) => self
                .columns
                .iter()
                .find(|c| c.name == target && c.alias_of.is_none()),
            None => Some(column),
        }
    }

    /// The aliases this list accepts, as `(alias, column)` pairs.
    pub fn aliases(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.columns
            .iter()
            .filter_map(|c| c.alias_of.map(|target| (c.name, target)))
    }

    /// A list that takes only `page`, `perPage` and `extra_params`: a
    /// small collection answered in its own order, without filters.
    pub const fn paging_only(extra_params: &'static [&'static str]) -> Self {
        Self {
            columns: &[],
            search_fields: &[],
            default_sort: ("", Direction::Asc),
            extra_params,
        }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
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

/// One condition of a list's `filter` parameter: `{"column", "operator",
/// "value"}` (no `value` for `is_null` and `is_not_null`).
#[derive(Clone, Debug, PartialEq, ToSchema)]
#[schema(as = ListFilter, example = json!({"column": "dealStatus", "operator": "not_in", "value": ["won", "lost"]}))]
pub struct Filter {
    pub column: String,
    pub operator: Operator,
    #[schema(required = false)]
    pub value: Value,
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

/// The list every test of this module reads.
#[cfg(test)]
mod fixtures {
    use serde_json::Value;

    use super::*;

    pub(super) const SPEC: ListSpec = ListSpec {
        columns: &[
            Column::new("name", ColumnKind::Text),
            Column::new("amount", ColumnKind::Number),
            Column::new("active", ColumnKind::Bool),
            Column::new("createdAt", ColumnKind::Date),
            Column::new("status", ColumnKind::Enum(&["new", "won"])),
            Column::alias("label", "name"),
        ],
        search_fields: &["name"],
        default_sort: ("createdAt", Direction::Desc),
        extra_params: &["unreadOnly"],
    };

    pub(super) fn encode(filter: Value) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &filter.to_string())
            .finish()
    }
}
