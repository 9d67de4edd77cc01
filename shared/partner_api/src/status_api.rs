//! The public partner API, called with a partner API token (`Authorization:
//! Bearer pcp_…`): `POST /api/v1/status` asks for a lead status change of
//! the token's partner and answers `202 {requestId}` once the request is
//! stored with its queue message; `GET /api/v1/status/{requestId}` answers
//! where that request is. Every call counts against the token's rate
//! limit and notes the token's use.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::rate_limit::{self, Limit};
use pc_http::partner_tokens::TokenCaller;
use pc_http::{ApiError, ApiResult, AppState, ValidJson};
use pc_platform::outbox::Outbox;

use crate::status_request::{
    self, RequestError, RequestState, StatusBody, StatusCommand, pending_write,
};
use crate::tokens_store;

/// Calls per token: generous for a CRM pushing its changes, small enough
/// that a runaway script cannot flood the lead pipeline.
pub const CALLS_PER_TOKEN: Limit = Limit {
    scope: "partner-api",
    max: 60,
    window_seconds: 60,
};

/// Counts a call against the token's limit (429 with `Retry-After` when
/// the window is full) and notes the token's use.
async fn admit(ctx: &AppState, caller: &TokenCaller) -> ApiResult<()> {
    let now = ctx.clock.now();
    let window = CALLS_PER_TOKEN.window(&caller.token.id, now);
    if let Some(wait) = rate_limit::take(&*ctx.store, &CALLS_PER_TOKEN, &window, now).await? {
        return Err(ApiError::rate_limited(wait));
    }
    tokens_store::record_use(&*ctx.store, &caller.key, now).await?;
    Ok(())
}

/// `202 {requestId}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusAccepted {
    /// Read the outcome at `GET /api/v1/status/{requestId}`.
    request_id: String,
}

/// Asks for a status change of one of the token's partner's leads (by
/// `email` or `leadId`), optionally with the deal amount and a note. The
/// body is checked at once; the change is applied by the
/// `partner-api-lead` worker through the same rules as a change in the app
/// (allowed transitions, audit event, lost-lead alert).
#[utoipa::path(post, path = "/api/v1/status", tag = "partner-api",
    request_body = StatusBody,
    responses((status = 202, body = StatusAccepted), (status = 400), (status = 401),
        (status = 429, description = "too many calls with this token; retry after `Retry-After` seconds")),
    security(("partnerToken" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = %caller.partner_id(), token_id = %caller.token.id))]
pub async fn request_status_change(
    State(ctx): State<AppState>,
    caller: TokenCaller,
    ValidJson(body): ValidJson<StatusBody>,
) -> ApiResult<(StatusCode, Json<StatusAccepted>)> {
    admit(&ctx, &caller).await?;
    let checked = body.check()?;
    let command = StatusCommand {
        request_id: ctx.ids.new_id(),
        partner_id: caller.partner_id().to_owned(),
        token_id: caller.token.id.clone(),
        token_name: caller.token.name.clone(),
        lead: checked.lead,
        status: checked.status,
        deal_amount_cents: checked.deal_amount_cents,
        note: checked.note,
    };
    let now = ctx.clock.now();
    // The request and its message commit together: a stored request is
    // always processed, and an unstored one never is.
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    outbox.push_message(&command.request_id, &command)?;
    let mut writes = vec![pending_write(&command, now)?];
    outbox.add_to(&mut writes)?;
    ctx.store.transact(writes).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusAccepted {
            request_id: command.request_id,
        }),
    ))
}

/// Where a request is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    request_id: String,
    state: RequestState,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RequestError>,
}

/// The outcome of a status request made with a token of the same partner
/// (another partner's request is a 404).
#[utoipa::path(get, path = "/api/v1/status/{requestId}", tag = "partner-api",
    params(("requestId" = String, Path, description = "the id `POST /api/v1/status` answered")),
    responses((status = 200, body = RequestView), (status = 401), (status = 404),
        (status = 429, description = "too many calls with this token; retry after `Retry-After` seconds")),
    security(("partnerToken" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = %caller.partner_id(), request_id = %request_id))]
pub async fn get_status_request(
    State(ctx): State<AppState>,
    caller: TokenCaller,
    Path(request_id): Path<String>,
) -> ApiResult<Json<RequestView>> {
    admit(&ctx, &caller).await?;
    let record = status_request::get(&*ctx.store, &request_id)
        .await?
        .filter(|r| r.command.partner_id == caller.partner_id())
        .ok_or_else(|| ApiError::not_found("request"))?;
    Ok(Json(RequestView {
        request_id: record.command.request_id,
        state: record.state,
        error: record.error,
    }))
}
