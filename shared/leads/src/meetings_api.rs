//! The meeting endpoints: the appointments list, one meeting, a lead's
//! meetings, and the unrouted ChiliPiper events for staff.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::list::{Column, ColumnKind, Direction, ListSpec, Operator};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal};
use pc_platform::store::{MAX_BATCH_GET, from_item};

use crate::lead::LeadRecord;
use crate::leads_store::{self, lead_key};
use crate::meetings_store::{
    self, MeetingRecord, MeetingStatus, Person, UnroutedEvent, appointments, meetings_of_lead,
    unrouted_events,
};

pub const MEETINGS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("id", ColumnKind::Text),
        Column::new("meetingIdChili", ColumnKind::Text),
        Column::new("status", ColumnKind::Enum(&MeetingStatus::NAMES)),
        Column::new("scheduledTime", ColumnKind::Date),
        Column::new("endTime", ColumnKind::Date),
        Column::new("partnerId", ColumnKind::Text),
        Column::new("leadId", ColumnKind::Text),
        Column::new("title", ColumnKind::Text),
        Column::new("meetingTypeName", ColumnKind::Text),
        Column::new("location", ColumnKind::Text),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("updatedAt", ColumnKind::Date),
    ],
    search_fields: &["title", "meetingTypeName"],
    default_sort: ("scheduledTime", Direction::Desc),
    extra_params: &[],
};

/// `{id, email, company}` of a meeting's lead.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LeadSummary {
    pub id: String,
    pub email: String,
    pub company: Option<String>,
}

/// A meeting as the API shows it: the record, its lead, and flat the
/// emails the appointments table shows (`apt.leadEmail`,
/// `apt.assigneeEmail`, `apt.hostEmail`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingView {
    #[serde(flatten)]
    pub meeting: MeetingRecord,
    pub lead: Option<LeadSummary>,
    pub lead_email: Option<String>,
    pub assignee_email: Option<String>,
    pub host_email: Option<String>,
}

fn summary(lead: &LeadRecord) -> LeadSummary {
    LeadSummary {
        id: lead.id.clone(),
        email: lead.email.clone(),
        company: lead.contact.company.clone(),
    }
}

/// A meeting's row without its lead (filters and sorts run on these).
fn meeting_row(meeting: &MeetingRecord) -> Value {
    let mut row = serde_json::to_value(meeting).unwrap_or(Value::Null);
    if let Some(map) = row.as_object_mut() {
        map.remove("version");
    }
    let email = |person: &Option<Person>| person.as_ref().and_then(|p| p.email.clone());
    row["assigneeEmail"] = email(&meeting.assignee).into();
    row["hostEmail"] = email(&meeting.host).into();
    row
}

/// Completes a meeting's row with its lead (see [`MeetingView`]).
fn with_lead(row: &mut Value, lead: Option<&LeadSummary>) {
    row["leadEmail"] = lead.map(|l| l.email.clone()).into();
    row["lead"] = serde_json::to_value(lead).unwrap_or(Value::Null);
}

/// A lead's meetings as the API shows them, newest first.
pub fn meetings_view(lead: &LeadRecord, meetings: &[MeetingRecord]) -> Vec<Value> {
    let summary = summary(lead);
    meetings
        .iter()
        .map(|m| {
            let mut row = meeting_row(m);
            with_lead(&mut row, Some(&summary));
            row
        })
        .collect()
}

/// Appointments the caller sees: filters on status, `scheduledTime`
/// ranges (read as sort-key bounds), partner; each row with its lead.
#[utoipa::path(get, path = "/v1/meetings", tag = "meetings",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<MeetingView>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_meetings(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &MEETINGS_LIST)?;
    if !principal.is_staff() && principal.partner_id.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let scope = principal.scope().map(str::to_owned);
    let partner = scope.clone().or_else(|| {
        query
            .filter("partnerId", Operator::Eq)
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let bound = |ops: &[Operator]| {
        ops.iter()
            .find_map(|op| query.filter("scheduledTime", *op))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let from = bound(&[Operator::Gte, Operator::Gt]);
    let to = bound(&[Operator::Lte, Operator::Lt]);
    let rows: Vec<Value> = appointments(&*ctx.store, partner.as_deref(), from, to)
        .await?
        .iter()
        .filter(|m| scope.as_deref().is_none_or(|p| p == m.partner_id))
        .map(meeting_row)
        .collect();
    let mut page = query.apply(rows, &MEETINGS_LIST);
    let lead_ids: Vec<String> = page
        .list
        .iter()
        .filter_map(|r| r["leadId"].as_str().map(str::to_owned))
        .collect();
    let mut leads = BTreeMap::new();
    for chunk in lead_ids.chunks(MAX_BATCH_GET) {
        let mut keys: Vec<_> = chunk.iter().map(|id| lead_key(id)).collect();
        keys.sort();
        keys.dedup();
        for item in ctx.store.batch_get(&keys).await? {
            let lead: LeadRecord = from_item(item)?;
            leads.insert(lead.id.clone(), summary(&lead));
        }
    }
    for row in &mut page.list {
        let lead = row["leadId"].as_str().and_then(|id| leads.get(id)).cloned();
        with_lead(row, lead.as_ref());
    }
    Ok(Json(page))
}

/// One meeting with its lead.
#[utoipa::path(get, path = "/v1/meetings/{id}", tag = "meetings", params(("id" = String, Path)),
    responses((status = 200, body = MeetingView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_meeting(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let meeting = meetings_store::get_meeting(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting"))?;
    principal.ensure_sees_partner(Some(&meeting.partner_id), "meeting")?;
    let lead = leads_store::get(&*ctx.store, &meeting.lead_id).await?;
    let mut row = meeting_row(&meeting);
    with_lead(&mut row, lead.as_ref().map(summary).as_ref());
    Ok(Json(row))
}

/// A lead's meetings, newest first, with the list conventions (`sort`
/// and `filter` on the appointments list's columns).
#[utoipa::path(get, path = "/v1/leads/{id}/meetings", tag = "leads",
    params(("id" = String, Path), ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<MeetingView>), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn lead_meetings(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &MEETINGS_LIST)?;
    let lead = leads_store::get(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    let meetings = meetings_of_lead(&*ctx.store, &id).await?;
    Ok(Json(
        query.apply(meetings_view(&lead, &meetings), &MEETINGS_LIST),
    ))
}

const UNROUTED_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("meetingIdChili", ColumnKind::Text),
        Column::new("eventType", ColumnKind::Text),
        Column::new("meetingTypeName", ColumnKind::Text),
        Column::new("receivedAt", ColumnKind::Date),
    ],
    search_fields: &["meetingTypeName"],
    default_sort: ("receivedAt", Direction::Desc),
    extra_params: &[],
};

/// ChiliPiper events no partner's meeting types matched (staff).
#[utoipa::path(get, path = "/v1/meetings/unrouted", tag = "meetings",
    responses((status = 200, body = ListResponse<UnroutedEvent>)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_unrouted(
    State(ctx): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &UNROUTED_LIST)?;
    let rows = unrouted_events(&*ctx.store)
        .await?
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    Ok(Json(query.apply(rows, &UNROUTED_LIST)))
}
