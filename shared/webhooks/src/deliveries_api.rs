//! The delivery log of a partner's webhook and redelivery, for the
//! partner's admins and platform staff; another partner's log or delivery
//! is a 404.
//!
//! `GET /v1/partners/:id/webhook-deliveries` answers the list conventions
//! (`page`, `perPage`, `sort`, `filter` on `state`, `eventType`,
//! `createdAt`), newest first, each delivery with its attempts (time, URL,
//! status code or error, duration), last status code and next retry.
//! `POST .../webhook-deliveries/:deliveryId/redeliver` starts a new round
//! of attempts now (with its own 24 hours) for a delivered or failed
//! delivery; for one still pending it changes nothing and answers it.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::list::{Column, ColumnKind, Direction, ListQuery, ListResponse, ListSpec};
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::outbox::Outbox;
use pc_platform::store::pages::Pages;
use pc_platform::store::{Index, Query, from_item};
use pc_platform::time::timestamp;

use crate::WebhookError;
use crate::attempt::AttemptMessage;
use crate::deliveries_store::{self, AttemptRecord, DeliveryRecord, DeliveryState};

const DELIVERIES_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("createdAt", ColumnKind::Date),
        Column::new(
            "state",
            ColumnKind::Enum(&["pending", "delivered", "failed"]),
        ),
        Column::new("eventType", ColumnKind::Text),
        Column::new("attemptCount", ColumnKind::Number),
    ],
    search_fields: &[],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub number: u32,
    pub at: String,
    pub url: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: String,
    pub partner_id: String,
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: String,
    /// `pending`, `delivered` or `failed`.
    pub state: DeliveryState,
    pub attempt_count: u32,
    pub last_status_code: Option<u16>,
    /// When the next attempt is due (pending deliveries only).
    pub next_retry_at: Option<String>,
    pub delivered_at: Option<String>,
    pub failed_at: Option<String>,
    /// The latest attempts, oldest first.
    pub attempts: Vec<AttemptView>,
    pub created_at: String,
}

impl From<&AttemptRecord> for AttemptView {
    fn from(a: &AttemptRecord) -> Self {
        Self {
            number: a.number,
            at: timestamp(a.at),
            url: a.url.clone(),
            status_code: a.status_code,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
        }
    }
}

impl From<&DeliveryRecord> for DeliveryView {
    fn from(d: &DeliveryRecord) -> Self {
        Self {
            id: d.id.clone(),
            partner_id: d.partner_id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            occurred_at: timestamp(d.occurred_at),
            state: d.state,
            attempt_count: d.attempt_count,
            last_status_code: d.attempts.last().and_then(|a| a.status_code),
            next_retry_at: (d.state == DeliveryState::Pending)
                .then_some(d.next_attempt_at)
                .flatten()
                .map(timestamp),
            delivered_at: d.delivered_at.map(timestamp),
            failed_at: d.failed_at.map(timestamp),
            attempts: d.attempts.iter().map(AttemptView::from).collect(),
            created_at: timestamp(d.created_at),
        }
    }
}

/// The partner, when the caller may see it.
async fn visible_partner(ctx: &AppState, principal: &Principal, partner_id: &str) -> ApiResult<()> {
    principal.ensure_sees_partner(Some(partner_id), "partner")?;
    get_partner(&*ctx.store, partner_id)
        .await?
        .ok_or(WebhookError::PartnerNotFound)?;
    Ok(())
}

/// A partner's webhook deliveries, newest first.
#[utoipa::path(get, path = "/v1/partners/{id}/webhook-deliveries", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 200, body = ListResponse<DeliveryView>), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_deliveries(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<serde_json::Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &DELIVERIES_LIST)?;
    visible_partner(&ctx, &principal, &id).await?;
    let limit = ctx.config.list_read_limit;
    let deliveries = Query::partition(Index::Gsi1, crate::keys::partner_deliveries_partition(&id))
        .descending()
        .limit(500);
    let mut pages = Pages::new(&*ctx.store, deliveries);
    let mut rows = Vec::new();
    while let Some(items) = pages.next().await? {
        for item in items {
            let record: DeliveryRecord = from_item(item)?;
            rows.push(
                serde_json::to_value(DeliveryView::from(&record)).map_err(ApiError::internal)?,
            );
        }
        if rows.len() >= limit {
            break;
        }
    }
    let mut answer = query.apply(rows, &DELIVERIES_LIST);
    answer.meta.truncated = pages.has_more();
    Ok(Json(answer))
}

/// Delivers again now: a new round of attempts for a delivered or failed
/// delivery; a pending one is answered unchanged.
#[utoipa::path(post, path = "/v1/partners/{id}/webhook-deliveries/{deliveryId}/redeliver", tag = "webhooks",
    params(("id" = String, Path), ("deliveryId" = String, Path)),
    responses((status = 202, body = DeliveryView), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn redeliver(
    State(ctx): State<AppState>,
    principal: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    visible_partner(&ctx, &principal, &id).await?;
    let record = deliveries_store::get(&*ctx.store, &delivery_id)
        .await?
        .filter(|d| d.partner_id == id)
        .ok_or(WebhookError::DeliveryNotFound)?;
    if record.state == DeliveryState::Pending {
        return Ok((StatusCode::ACCEPTED, Json(DeliveryView::from(&record))));
    }
    let now = ctx.clock.now();
    let mut next = record.clone();
    next.state = DeliveryState::Pending;
    next.round += 1;
    next.window_started_at = None;
    next.next_attempt_at = Some(now);
    next.delivered_at = None;
    next.failed_at = None;
    next.revision += 1;
    next.updated_at = now;
    let message = AttemptMessage::first(&next);
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    outbox.push_message(&message.id(), &message)?;
    let mut writes = vec![deliveries_store::replace(&next, record.revision)?];
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => Ok((StatusCode::ACCEPTED, Json(DeliveryView::from(&next)))),
        Err(e) if e.is_condition_failure() => Err(ApiError::conflict(
            ErrorCode::DeliveryChanged,
            "the delivery changed meanwhile; read it again",
        )),
        Err(e) => Err(e.into()),
    }
}
