//! `GET /v1/leads`: the lead list. The request is parsed against the
//! list's columns, planned onto the leads' index partitions
//! (`leads_store::plan`) and read page by page (`leads_store::listing`);
//! every filter is applied to each row read, so the answer is exact. A
//! list whose filters are not key conditions reads at most
//! `LIST_READ_LIMIT` rows and, when it had to stop there, answers
//! `meta.truncated: true` with the total of the rows it read.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Value;

use pc_accounts::partners_store::partner_names;
use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiResult, AppState, ListQuery, ListResponse, Principal};

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::LeadView;
use crate::leads_store::{self, Window};

/// The columns of `GET /v1/leads`: every lead field (the SPA's filter
/// array, the magic link's "overdue" filters included, use these names),
/// and the names the original app's filters use for two of them.
pub const LEAD_COLUMNS: &[Column] = &[
    Column::new("id", ColumnKind::Text),
    Column::new("partnerId", ColumnKind::Text),
    Column::new("email", ColumnKind::Text),
    Column::new("firstName", ColumnKind::Text),
    Column::new("lastName", ColumnKind::Text),
    Column::new("company", ColumnKind::Text),
    Column::new("phone", ColumnKind::Text),
    Column::new("title", ColumnKind::Text),
    Column::new("website", ColumnKind::Text),
    Column::new("country", ColumnKind::Text),
    Column::new("industry", ColumnKind::Text),
    Column::new("companySize", ColumnKind::Text),
    Column::new("source", ColumnKind::Enum(&LeadSource::NAMES)),
    Column::new("dealStatus", ColumnKind::Enum(&DealStatus::NAMES)),
    Column::new("dealAmount", ColumnKind::Number),
    Column::new("salesManager", ColumnKind::Text),
    Column::new("scheduledDate", ColumnKind::Date),
    Column::new("hubspotContactId", ColumnKind::Text),
    Column::new("hubspotDealId", ColumnKind::Text),
    Column::new("createdAt", ColumnKind::Date),
    Column::new("updatedAt", ColumnKind::Date),
    // The original app's leads page sends these names.
    Column::alias("partner", "partnerId"),
    Column::alias("sales_manager", "salesManager"),
];

/// `search` matches the words of the name, company and email (see
/// `lead_search`), or exactly one email address.
pub const LEADS_LIST: ListSpec = ListSpec {
    columns: LEAD_COLUMNS,
    search_fields: &["email", "firstName", "lastName", "company"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// Leads the caller sees, with the list contract: `meta.total` is exact;
/// `meta.truncated: true` only when the filters are not key conditions
/// and the rows to read passed `LIST_READ_LIMIT`.
#[utoipa::path(get, path = "/v1/leads", tag = "leads",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query),
        ("filter" = Option<String>, Query, description = "JSON array of `{column, operator, value}` on any lead field; the original app's column names `partner` (= `partnerId`) and `sales_manager` (= `salesManager`) are accepted too"),
        ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<LeadView>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = ?principal.partner_id))]
pub async fn list_leads(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &LEADS_LIST)?;
    if !principal.is_staff() && principal.partner_id.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let plan = leads_store::plan_for(&query, principal.scope());
    // The search is the plan's; the row filter applies every other filter.
    let filters = ListQuery {
        search: None,
        ..query.clone()
    };
    let window = Window {
        skip: query.page.saturating_mul(query.per_page),
        take: query.per_page,
    };
    let found = leads_store::list(
        &*ctx.store,
        &plan,
        window,
        ctx.config.list_read_limit,
        |lead| {
            let row = LeadView::of(&lead).to_row();
            filters.matches(&row, &LEADS_LIST).then_some(row)
        },
        |a, b| query.compare_rows(a, b),
    )
    .await?;
    let mut page = query.page_of(Vec::new());
    page.list = found.rows;
    page.meta.total = found.total;
    page.meta.truncated = found.truncated;
    if principal.is_staff() {
        let ids = page
            .list
            .iter()
            .filter_map(|r| r["partnerId"].as_str().map(str::to_owned));
        let names = partner_names(&*ctx.store, ids).await?;
        for row in &mut page.list {
            let pid = row["partnerId"].as_str().unwrap_or_default().to_owned();
            let name = names.get(&pid).cloned().unwrap_or_default();
            row["partner"] = serde_json::json!({"id": pid, "name": name});
        }
    }
    Ok(Json(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query strings of the `curl -G` examples of the lead list in the
    /// API docs: each `--data-urlencode 'name=value'`, encoded.
    fn documented_queries() -> Vec<String> {
        let docs = include_str!("../../../../docs/api.md");
        let section = docs
            .split("## Lists")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("docs/api.md has a Lists section");
        section
            .replace("\\\n", " ")
            .lines()
            .filter(|line| line.contains("/v1/leads") && line.contains("curl"))
            .map(|command| {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                for part in command.split("--data-urlencode '").skip(1) {
                    let pair = part.split('\'').next().unwrap_or_default();
                    let (name, value) = pair.split_once('=').expect("name=value");
                    query.append_pair(name, value);
                }
                query.finish()
            })
            .collect()
    }

    #[test]
    fn the_list_examples_of_the_api_docs_parse() {
        let queries = documented_queries();
        assert_eq!(queries.len(), 3, "{queries:?}");
        for raw in &queries {
            let query = ListQuery::parse(Some(raw), &LEADS_LIST)
                .unwrap_or_else(|e| panic!("{raw}: {e} {:?}", e.details));
            assert!(!query.filters.is_empty() || query.search.is_some(), "{raw}");
        }
    }
}
