//! `POST /v1/leads/{id}/notes`: add a note to a lead.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};

use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{StoreError, Write};

use crate::lead::{LeadRecord, NoteRecord, NoteView};
use crate::leads_store;

use super::visible_lead;

/// `POST /v1/leads/{id}/notes`.
#[derive(Deserialize, ToSchema)]
pub struct CreateNote {
    pub text: String,
}

/// Longest note.
pub const MAX_NOTE: usize = 5_000;

/// Adds a note to a lead the caller sees.
#[utoipa::path(post, path = "/v1/leads/{id}/notes", tag = "leads", params(("id" = String, Path)),
    request_body = CreateNote,
    responses((status = 201, body = NoteView), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = ?principal.partner_id, lead_id = %id))]
pub async fn create_note(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<CreateNote>,
) -> ApiResult<(StatusCode, Json<NoteView>)> {
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE {
        return Err(ApiError::invalid_field(
            "text",
            format!("must be 1 to {MAX_NOTE} characters"),
        ));
    }
    let lead = visible_lead(&ctx, &principal, &id).await?;
    let (note, writes) = note_writes(&ctx, &principal, &lead, text)?;
    ctx.store.transact(writes).await?;
    Ok((StatusCode::CREATED, Json(NoteView::from(&note))))
}

/// The writes that add a note by `actor` to `lead`, with its `note_added`
/// audit event in an outbox of its own, for one transaction (alone, or
/// beside another change of the lead).
pub fn note_writes(
    ctx: &AppContext,
    actor: &Principal,
    lead: &LeadRecord,
    text: &str,
) -> Result<(NoteRecord, Vec<Write>), StoreError> {
    let note = NoteRecord {
        id: ctx.ids.new_id(),
        lead_id: lead.id.clone(),
        text: text.to_owned(),
        user_id: actor.user_id.clone(),
        user_name: actor.name.clone(),
        created_at: ctx.clock.now(),
    };
    let event = pc_http::audit::AuditEvent::new(
        ctx,
        Some(actor),
        "note_added",
        "lead",
        &lead.id,
        Some(&lead.partner_id),
        Value::Null,
        serde_json::json!({"noteId": note.id, "text": note.text}),
    );
    // The audit event commits with the note.
    let mut outbox = Outbox::new(ctx.ids.new_id(), note.created_at);
    pc_http::audit::add_to_outbox(&mut outbox, &event)?;
    let mut writes = vec![leads_store::note_write(&note)?];
    outbox.add_to(&mut writes)?;
    Ok((note, writes))
}
