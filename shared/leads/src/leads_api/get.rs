//! `GET /v1/leads/{id}`: one lead with its notes and meetings.

use axum::Json;
use axum::extract::{Path, State};

use pc_http::{ApiError, ApiResult, AppState, Principal};

use crate::lead::{LeadView, NoteView};
use crate::leads_store;
use crate::meetings_api::meetings_view;
use crate::meetings_store::meetings_of_lead;

use super::view_with_partner;

/// One lead with its notes and its meetings, each newest first.
#[utoipa::path(get, path = "/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = LeadView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(lead_id = %id))]
pub async fn get_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<LeadView>> {
    let (lead, notes) = leads_store::get_with_notes(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    let mut view = view_with_partner(&ctx, &principal, &lead).await?;
    let mut notes = notes;
    notes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    view.notes = Some(notes.iter().map(NoteView::from).collect());
    let mut meetings = meetings_of_lead(&*ctx.store, &lead.id).await?;
    meetings.sort_by_key(|m| std::cmp::Reverse(m.scheduled_time));
    view.meetings = Some(meetings_view(&lead, &meetings));
    Ok(Json(view))
}
