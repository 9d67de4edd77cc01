//! Development-only routes of the fake HubSpot, never deployed: the
//! consent page the authorize URL leads to (it grants a portal and sends
//! the browser back to the callback with a code, or with
//! `error=access_denied`); act as a HubSpot user on a partner's portal
//! (change or create a record — each sends its signed webhook batch to
//! the webhook function); read the portal (records, pipelines,
//! associations, webhook batches, request counters); send a batch again;
//! set a rate limit and a latency; revoke the app (every token refused).

use pc_platform::error_code::ErrorCode;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, ValidJson};
use pc_platform::crm::fake::FakeHubspot;
use pc_platform::crm::{CrmError, ObjectType, Properties};

use crate::connection;

fn fake(ctx: &AppState) -> ApiResult<&FakeHubspot> {
    ctx.crm.fake().ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::HubspotNotFake,
            "this server's CRM is not the fake HubSpot",
        )
    })
}

fn refused(e: CrmError) -> ApiError {
    match e {
        CrmError::Refused(message) => ApiError::conflict(ErrorCode::HubspotRefused, message),
        CrmError::Unavailable(message) => ApiError::unavailable(message),
        other => ApiError::conflict(ErrorCode::HubspotRefused, other.to_string()),
    }
}

/// The portal of the partner's connection.
async fn portal_of(ctx: &AppState, partner_id: &str) -> ApiResult<String> {
    connection::load(ctx, partner_id)
        .await?
        .map(|c| c.portal_id)
        .ok_or_else(|| ApiError::not_found("HubSpot connection"))
}

fn object_type(segment: &str) -> ApiResult<ObjectType> {
    match segment {
        "contacts" => Ok(ObjectType::Contacts),
        "deals" => Ok(ObjectType::Deals),
        _ => Err(ApiError::not_found("object type")),
    }
}

fn param(raw: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// HubSpot's consent page, accepted at once: a new portal (or `portalId`'s),
/// a code, and the browser back to `redirect_uri` with `code` and `state`;
/// `deny=1` declines (`error=access_denied`).
#[utoipa::path(get, path = "/dev/hubspot/oauth/authorize", tag = "dev",
    params(("client_id" = String, Query), ("redirect_uri" = String, Query), ("state" = String, Query),
        ("portalId" = Option<String>, Query), ("deny" = Option<String>, Query)),
    responses((status = 303), (status = 400)))]
pub async fn consent(State(ctx): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Redirect> {
    let raw = raw.as_deref();
    let client_id = ctx
        .config
        .secrets
        .current(pc_platform::config::Secret::HubspotClientId)
        .ok();
    if param(raw, "client_id").as_deref() != client_id.as_deref() {
        return Err(ApiError::invalid_field("client_id", "is not this app's"));
    }
    let redirect_uri = param(raw, "redirect_uri")
        .filter(|uri| url::Url::parse(uri).is_ok())
        .ok_or_else(|| ApiError::invalid_field("redirect_uri", "must be a URL"))?;
    let state = param(raw, "state").unwrap_or_default();
    let mut back = url::Url::parse(&redirect_uri).map_err(ApiError::internal)?;
    if param(raw, "deny").as_deref() == Some("1") {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
        return Ok(Redirect::to(back.as_str()));
    }
    let portal = param(raw, "portalId");
    let (_, code) = fake(&ctx)?
        .consent(&redirect_uri, portal.as_deref())
        .await
        .map_err(refused)?;
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state);
    Ok(Redirect::to(back.as_str()))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct PropertiesBody {
    /// HubSpot property names and string values (`""` clears one).
    #[schema(value_type = Object)]
    properties: Properties,
}

/// A HubSpot user changes a deal of the partner's portal; a
/// `deal.propertyChange` batch is sent before this answers.
#[utoipa::path(post, path = "/dev/hubspot/{partnerId}/deals/{dealId}", tag = "dev",
    params(("partnerId" = String, Path), ("dealId" = String, Path)), request_body = PropertiesBody,
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn change_deal(
    State(ctx): State<AppState>,
    Path((partner_id, deal_id)): Path<(String, String)>,
    ValidJson(body): ValidJson<PropertiesBody>,
) -> ApiResult<Json<Value>> {
    change(
        &ctx,
        &partner_id,
        ObjectType::Deals,
        &deal_id,
        &body.properties,
    )
    .await
}

/// A HubSpot user changes a contact; a `contact.propertyChange` batch is sent.
#[utoipa::path(post, path = "/dev/hubspot/{partnerId}/contacts/{contactId}", tag = "dev",
    params(("partnerId" = String, Path), ("contactId" = String, Path)), request_body = PropertiesBody,
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn change_contact(
    State(ctx): State<AppState>,
    Path((partner_id, contact_id)): Path<(String, String)>,
    ValidJson(body): ValidJson<PropertiesBody>,
) -> ApiResult<Json<Value>> {
    change(
        &ctx,
        &partner_id,
        ObjectType::Contacts,
        &contact_id,
        &body.properties,
    )
    .await
}

async fn change(
    ctx: &AppState,
    partner_id: &str,
    object_type: ObjectType,
    id: &str,
    properties: &Properties,
) -> ApiResult<Json<Value>> {
    let portal = portal_of(ctx, partner_id).await?;
    let object = fake(ctx)?
        .user_update(&portal, object_type, id, properties)
        .await
        .map_err(refused)?
        .ok_or_else(|| ApiError::not_found(object_type.singular()))?;
    Ok(Json(json!(object)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    /// HubSpot property names and string values.
    #[schema(value_type = Object)]
    properties: Properties,
    /// A deal's contacts (existing contact ids of the portal), associated
    /// in the same creation.
    #[serde(default)]
    contact_ids: Vec<String>,
}

/// A HubSpot user creates a contact or deal (a deal optionally associated
/// with `contactIds`); a `<type>.creation` batch is sent.
#[utoipa::path(post, path = "/dev/hubspot/{partnerId}/{kind}", tag = "dev",
    params(("partnerId" = String, Path), ("kind" = String, Path, description = "contacts or deals")),
    request_body = CreateBody, responses((status = 201), (status = 400), (status = 404), (status = 409)))]
pub async fn create_object(
    State(ctx): State<AppState>,
    Path((partner_id, segment)): Path<(String, String)>,
    ValidJson(body): ValidJson<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let object_type = object_type(&segment)?;
    if !body.contact_ids.is_empty() && object_type != ObjectType::Deals {
        return Err(ApiError::invalid_field(
            "contactIds",
            "only a deal is created with contacts",
        ));
    }
    let portal = portal_of(&ctx, &partner_id).await?;
    let object = fake(&ctx)?
        .user_create(&portal, object_type, body.properties, &body.contact_ids)
        .await
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!(object))))
}

/// What the partner's portal holds: `contacts`, `deals`, `pipelines`,
/// `associations`, `webhooks` (batches sent), or `portal` (request and
/// 429 counters, rate limit).
#[utoipa::path(get, path = "/dev/hubspot/{partnerId}/{kind}", tag = "dev",
    params(("partnerId" = String, Path), ("kind" = String, Path)),
    responses((status = 200), (status = 404)))]
pub async fn portal_view(
    State(ctx): State<AppState>,
    Path((partner_id, view)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let portal = portal_of(&ctx, &partner_id).await?;
    let fake = fake(&ctx)?;
    let answer = match view.as_str() {
        "contacts" | "deals" => {
            json!({"results": fake.objects(&portal, object_type(&view)?).await.map_err(refused)?})
        }
        "pipelines" => json!({"results": fake.pipelines(&portal).await.map_err(refused)?}),
        "associations" => json!({"results": fake.associations(&portal).await.map_err(refused)?}),
        "webhooks" => json!({"results": fake.sent_batches(&portal).await.map_err(refused)?}),
        "portal" => json!(fake.portal(&portal).await.map_err(refused)?),
        _ => return Err(ApiError::not_found("view")),
    };
    Ok(Json(answer))
}

/// Sends a webhook batch again, signed anew (HubSpot's redelivery).
#[utoipa::path(post, path = "/dev/hubspot/{partnerId}/webhooks/{batchId}/redeliver", tag = "dev",
    params(("partnerId" = String, Path), ("batchId" = String, Path)),
    responses((status = 200), (status = 404)))]
pub async fn redeliver(
    State(ctx): State<AppState>,
    Path((partner_id, batch_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let portal = portal_of(&ctx, &partner_id).await?;
    let fake = fake(&ctx)?;
    let known = fake.sent_batches(&portal).await.map_err(refused)?;
    if !known.iter().any(|b| b.batch_id == batch_id) {
        return Err(ApiError::not_found("webhook batch"));
    }
    let sent = fake.redeliver(&portal, &batch_id).await.map_err(refused)?;
    Ok(Json(json!(sent)))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitsBody {
    /// Requests per ten seconds the portal serves before answering 429;
    /// null removes the limit.
    requests_per_ten_seconds: Option<i64>,
    /// Added to every API call of the fake (all portals), 0 to 10,000 ms.
    #[serde(default)]
    latency_millis: u64,
}

/// Sets the portal's rate limit and the fake's latency.
#[utoipa::path(put, path = "/dev/hubspot/{partnerId}/limits", tag = "dev",
    params(("partnerId" = String, Path)), request_body = LimitsBody,
    responses((status = 200, body = LimitsBody), (status = 400), (status = 404)))]
pub async fn set_limits(
    State(ctx): State<AppState>,
    Path(partner_id): Path<String>,
    ValidJson(body): ValidJson<LimitsBody>,
) -> ApiResult<Json<LimitsBody>> {
    if body.requests_per_ten_seconds.is_some_and(|n| n < 1) {
        return Err(ApiError::invalid_field(
            "requestsPerTenSeconds",
            "must be at least 1, or null",
        ));
    }
    if body.latency_millis > 10_000 {
        return Err(ApiError::invalid_field(
            "latencyMillis",
            "must be 0 to 10000",
        ));
    }
    let portal = portal_of(&ctx, &partner_id).await?;
    let fake = fake(&ctx)?;
    fake.set_rate_limit(&portal, body.requests_per_ten_seconds)
        .await
        .map_err(refused)?;
    fake.set_latency(Duration::from_millis(body.latency_millis));
    Ok(Json(body))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct RevokeBody {
    /// True: the app is uninstalled from the portal, every token (refresh
    /// tokens too) is refused; false: installed again.
    revoked: bool,
}

/// Uninstalls (or reinstalls) the app from the partner's portal.
#[utoipa::path(put, path = "/dev/hubspot/{partnerId}/revoked", tag = "dev",
    params(("partnerId" = String, Path)), request_body = RevokeBody,
    responses((status = 200, body = RevokeBody), (status = 404)))]
pub async fn set_revoked(
    State(ctx): State<AppState>,
    Path(partner_id): Path<String>,
    ValidJson(body): ValidJson<RevokeBody>,
) -> ApiResult<Json<RevokeBody>> {
    let portal = portal_of(&ctx, &partner_id).await?;
    fake(&ctx)?
        .set_revoked(&portal, body.revoked)
        .await
        .map_err(refused)?;
    Ok(Json(body))
}
