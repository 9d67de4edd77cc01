//! A partner's billing configuration: read it (with the partner, in one
//! batch) and replace it as a whole.

use axum::Json;
use axum::extract::{Path, State};

use pc_http::identity::partner_key;
use pc_http::{ApiError, ApiResult, AppState, ValidJson};
use pc_platform::store::{Condition, Write, from_item};

use crate::billing_config::{self, BillingConfig, BillingConfigView, billing_key};
use crate::partners_store::PartnerRecord;

/// Reads the partner and its billing item in one batch.
pub(super) async fn partner_and_billing(
    ctx: &AppState,
    id: &str,
) -> ApiResult<(PartnerRecord, Option<BillingConfig>)> {
    let (partner, billing, _) = partner_billing_hubspot(ctx, id).await?;
    Ok((partner, billing))
}

/// The partner, its billing configuration, and whether it has connected
/// HubSpot (the HubSpot capability keeps the connection at
/// `PARTNER#<id>` / `HUBSPOT`), in one read.
pub(super) async fn partner_billing_hubspot(
    ctx: &AppState,
    id: &str,
) -> ApiResult<(PartnerRecord, Option<BillingConfig>, bool)> {
    let hubspot_key = pc_platform::store::partner_key(id, "HUBSPOT");
    let items = ctx
        .store
        .batch_get(&[partner_key(id), billing_key(id), hubspot_key])
        .await?;
    let mut partner = None;
    let mut billing = None;
    let mut hubspot = false;
    for item in items {
        match item.get("entity").and_then(|e| e.as_str()) {
            Some("partner") => partner = Some(from_item::<PartnerRecord>(item)?),
            Some("billing_config") => billing = Some(from_item::<BillingConfig>(item)?),
            Some("hubspot_connection") => hubspot = true,
            _ => {}
        }
    }
    let partner = partner.ok_or_else(|| ApiError::not_found("partner"))?;
    Ok((partner, billing, hubspot))
}

/// The billing configuration (`billingType: null` when none is set).
#[utoipa::path(get, path = "/v1/partners/{id}/billing", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = BillingConfigView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_billing(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<BillingConfigView>> {
    let (_, billing) = partner_and_billing(&ctx, &id).await?;
    Ok(Json(
        billing.map_or_else(billing_config::unset_view, |b| b.view()),
    ))
}

/// Replaces the billing configuration, validated as a whole.
#[utoipa::path(put, path = "/v1/partners/{id}/billing", tag = "partners", params(("id" = String, Path)),
    request_body = BillingConfigView,
    responses((status = 200, body = BillingConfigView), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn put_billing(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<BillingConfigView>,
) -> ApiResult<Json<BillingConfigView>> {
    let mut config = billing_config::parse(&id, &body, "").map_err(ApiError::validation)?;
    if config.stripe_customer_id.is_none() {
        // The Stripe customer made by the first invoice stays the partner's
        // when the form is saved without it.
        let (_, stored) = partner_and_billing(&ctx, &id).await?;
        config.stripe_customer_id = stored.and_then(|b| b.stripe_customer_id);
    }
    let writes = vec![
        Write::Check {
            key: partner_key(&id),
            condition: Condition::Exists,
        },
        Write::put(config.item()?),
    ];
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(Json(config.view())),
        Err(e) if e.is_condition_failure() => Err(ApiError::not_found("partner")),
        Err(e) => Err(e.into()),
    }
}
