//! `GET /v1/leads`: the lead list.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Value;

use pc_accounts::partners_store::{PartnerRecord, get_partner};
use pc_api::identity::partner_key;
use pc_api::list::{Column, ColumnKind, Direction, ListSpec, Operator};
use pc_api::{ApiResult, AppState, ListQuery, ListResponse, Principal};
use pc_platform::store::{Index, MAX_BATCH_GET, Query, from_item};

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::LeadView;
use crate::leads_store::{LeadPartition, leads_of, leads_up_to, query_all};

/// The columns of `GET /v1/leads`: every lead field (the SPA's filter
/// array, the magic link's "overdue" filters included, use these names).
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
];

pub const LEADS_LIST: ListSpec = ListSpec {
    columns: LEAD_COLUMNS,
    search_fields: &["email", "firstName", "lastName", "company"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// The narrowest partition that holds every row the query can match.
pub fn plan_for(query: &ListQuery, scope: Option<&str>) -> LeadPartition {
    let partner = scope.map(str::to_owned).or_else(|| {
        query
            .filter("partnerId", Operator::Eq)
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(pid) = partner else {
        return LeadPartition::All;
    };
    let text_list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(status) = query
        .filter("dealStatus", Operator::Eq)
        .and_then(Value::as_str)
    {
        return LeadPartition::Statuses(pid, vec![status.to_owned()]);
    }
    if let Some(statuses) = query.filter("dealStatus", Operator::In) {
        return LeadPartition::Statuses(pid, text_list(statuses));
    }
    let open_only = query
        .filter("dealStatus", Operator::NotIn)
        .is_some_and(|v| {
            let excluded = text_list(v);
            DealStatus::CLOSED_NAMES
                .iter()
                .all(|c| excluded.iter().any(|e| e == c))
        });
    let scheduled_bound = query.filters.iter().any(|f| {
        f.column == "scheduledDate"
            && !matches!(
                f.operator,
                Operator::IsNull | Operator::Ne | Operator::NotIn
            )
    });
    if open_only && scheduled_bound {
        let before = query
            .filter("scheduledDate", Operator::Lt)
            .and_then(Value::as_str)
            .map(str::to_owned);
        return LeadPartition::Open(pid, before);
    }
    LeadPartition::Partner(pid)
}

/// The total of the unfiltered default view (newest first, no filter but
/// the partner, no search), from the partners' `totalLeads` counters,
/// kept in the same transaction as every lead creation; `None` for any
/// other view.
async fn default_view_total(
    ctx: &AppState,
    query: &ListQuery,
    plan: &LeadPartition,
) -> ApiResult<Option<usize>> {
    let default_sort = query.sort.len() == 1
        && query.sort[0].column == "createdAt"
        && query.sort[0].direction == Direction::Desc;
    let planned_partner = match plan {
        LeadPartition::Partner(pid) => Some(pid.as_str()),
        _ => None,
    };
    // The only filter the default view may have is the partner it reads.
    let only_partner_filter = query.filters.iter().all(|f| {
        f.column == "partnerId"
            && f.operator == Operator::Eq
            && f.value.as_str().is_some()
            && f.value.as_str() == planned_partner
    });
    if !default_sort || !only_partner_filter || query.search.is_some() {
        return Ok(None);
    }
    let count = |p: &PartnerRecord| usize::try_from(p.total_leads).unwrap_or(0);
    Ok(match plan {
        LeadPartition::Partner(pid) => Some(
            get_partner(&*ctx.store, pid)
                .await?
                .as_ref()
                .map_or(0, count),
        ),
        LeadPartition::All => {
            let items = query_all(
                &*ctx.store,
                Query::partition(Index::Gsi1, "PARTNERS"),
                usize::MAX,
            )
            .await?;
            let mut total = 0;
            for item in items {
                total += count(&from_item::<PartnerRecord>(item)?);
            }
            Some(total)
        }
        _ => None,
    })
}

/// Reads the partners of `ids` in batches: `{id → name}`.
async fn partner_names(
    ctx: &AppState,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<BTreeMap<String, String>> {
    let mut unique: Vec<String> = ids.into_iter().collect();
    unique.sort();
    unique.dedup();
    let mut names = BTreeMap::new();
    for chunk in unique.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| partner_key(id)).collect();
        for item in ctx.store.batch_get(&keys).await? {
            let p: PartnerRecord = from_item(item)?;
            names.insert(p.id, p.name);
        }
    }
    Ok(names)
}

/// Leads the caller sees, with the list contract. Rows come from the
/// narrowest partition (see `leads_store`), at most `LIST_SCAN_LIMIT`
/// of them, then are filtered, searched, sorted and paged.
#[utoipa::path(get, path = "/v1/leads", tag = "leads",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<LeadView>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_leads(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &LEADS_LIST)?;
    if !principal.is_staff() && principal.partner_id.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let scope = principal.scope();
    let plan = plan_for(&query, scope);
    let mut page = match default_view_total(&ctx, &query, &plan).await? {
        Some(total) => {
            // The unfiltered default view: read only up to this page, and
            // take the total from the partner counters.
            let wanted = (query.page + 1).saturating_mul(query.per_page);
            let rows: Vec<Value> = leads_up_to(&*ctx.store, &plan, wanted)
                .await?
                .iter()
                .map(|l| LeadView::of(l).to_row())
                .collect();
            let mut page = query.page_of(rows);
            page.meta.total = total;
            page
        }
        None => {
            let rows: Vec<Value> = leads_of(&*ctx.store, &plan)
                .await?
                .iter()
                .filter(|l| scope.is_none_or(|p| p == l.partner_id))
                .map(|l| LeadView::of(l).to_row())
                .collect();
            query.apply(rows, &LEADS_LIST)
        }
    };
    if principal.is_staff() {
        let names = partner_names(
            &ctx,
            page.list
                .iter()
                .filter_map(|r| r["partnerId"].as_str().map(str::to_owned)),
        )
        .await?;
        for row in &mut page.list {
            let pid = row["partnerId"].as_str().unwrap_or_default().to_owned();
            let name = names.get(&pid).cloned().unwrap_or_default();
            row["partner"] = serde_json::json!({"id": pid, "name": name});
        }
    }
    Ok(Json(page))
}

