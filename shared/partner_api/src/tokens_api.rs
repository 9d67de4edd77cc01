//! A partner's API tokens: `POST /v1/partners/{id}/api-tokens` creates one
//! and shows it once; `GET` lists them (name, prefix, dates, never the
//! token); `DELETE …/{tokenId}` revokes one, refused from its next call.
//!
//! The partner's own admins create tokens (a token acts for the partner,
//! so platform staff do not mint one for it); they and platform staff list
//! and revoke them, so staff can shut a leaked token. Another partner's
//! tokens are a 404.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_http::partner_tokens::ApiTokenRecord;
use pc_http::{
    ApiError, ApiResult, AppState, ListQuery, ListResponse, ListSpec, Principal, ValidJson,
};
use pc_platform::time::serde_millis;

use crate::tokens_store::{self, IssueError, MAX_TOKENS_PER_PARTNER};

/// Longest token name.
pub const MAX_NAME: usize = 100;

/// `POST /v1/partners/{id}/api-tokens`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for (`HubSpot workflow`), 1 to 100 characters.
    pub name: String,
}

/// A token as listed: never the token itself.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    id: String,
    name: String,
    /// The token's first characters (`pcp_` and eight more).
    prefix: String,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "serde_millis::option")]
    #[schema(value_type = Option<String>)]
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ApiTokenRecord> for TokenView {
    fn from(record: ApiTokenRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            prefix: record.prefix,
            created_at: record.created_at,
            last_used_at: record.last_used_at,
        }
    }
}

/// A token just created, the only answer that ever shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    id: String,
    name: String,
    prefix: String,
    /// The token: send it as `Authorization: Bearer <token>`. Shown once;
    /// only its SHA-256 digest is kept.
    token: String,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The partner, when the caller sees it (another partner's is a 404).
async fn visible_partner(ctx: &AppState, principal: &Principal, partner_id: &str) -> ApiResult<()> {
    principal.ensure_sees_partner(Some(partner_id), "partner")?;
    get_partner(&*ctx.store, partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    Ok(())
}

/// Creates an API token for the partner; the answer is the only place the
/// token ever appears.
#[utoipa::path(post, path = "/v1/partners/{id}/api-tokens", tag = "partner-api",
    params(("id" = String, Path, description = "partner id")),
    request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "`too_many_tokens`: the partner holds 20 tokens; revoke one first")),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
pub async fn create_token(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    ValidJson(body): ValidJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::invalid_field(
            "name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    visible_partner(&ctx, &principal, &partner_id).await?;
    if principal.partner_id.as_deref() != Some(partner_id.as_str()) {
        return Err(ApiError::forbidden(
            "only the partner's own admins create its API tokens",
        ));
    }
    let issued = tokens_store::issue(
        &*ctx.store,
        ctx.ids.new_id(),
        &partner_id,
        name,
        &principal.user_id,
        ctx.clock.now(),
    )
    .await
    .map_err(|e| match e {
        IssueError::TooMany => ApiError::conflict(
            ErrorCode::TooManyTokens,
            format!(
                "a partner holds at most {MAX_TOKENS_PER_PARTNER} API tokens; revoke one first"
            ),
        ),
        IssueError::Store(s) => s.into(),
    })?;
    let record = issued.record;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: record.id,
            name: record.name,
            prefix: record.prefix,
            token: issued.secret,
            created_at: record.created_at,
        }),
    ))
}

const TOKENS_LIST: ListSpec = ListSpec::paging_only(&[]);

/// The partner's API tokens, newest first.
#[utoipa::path(get, path = "/v1/partners/{id}/api-tokens", tag = "partner-api",
    params(("id" = String, Path, description = "partner id"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query)),
    responses((status = 200, body = ListResponse<TokenView>), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = %partner_id))]
pub async fn list_tokens(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<TokenView>>> {
    let query = ListQuery::parse(raw.as_deref(), &TOKENS_LIST)?;
    visible_partner(&ctx, &principal, &partner_id).await?;
    let tokens = tokens_store::list(&*ctx.store, &partner_id).await?;
    Ok(Json(
        query.page_of(
            tokens
                .into_iter()
                .map(|t| TokenView::from(t.record))
                .collect(),
        ),
    ))
}

/// Revokes one of the partner's API tokens: its next call is refused.
#[utoipa::path(delete, path = "/v1/partners/{id}/api-tokens/{tokenId}", tag = "partner-api",
    params(("id" = String, Path, description = "partner id"),
        ("tokenId" = String, Path, description = "the token's id (not the token)")),
    responses((status = 204), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = %partner_id, token_id = %token_id))]
pub async fn revoke_token(
    State(ctx): State<AppState>,
    principal: Principal,
    Path((partner_id, token_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    visible_partner(&ctx, &principal, &partner_id).await?;
    if tokens_store::revoke(&*ctx.store, &partner_id, &token_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("API token"))
    }
}
