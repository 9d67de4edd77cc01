//! A partner connects its Stripe account to sell on the marketplace:
//! `POST /v1/partners/:id/stripe-connect` answers a link to Stripe's
//! hosted onboarding (the account is created on the first call only);
//! `GET` answers what Stripe has enabled. Only the partner's own admins
//! connect it; another partner's is a 404.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::get_partner;
use pc_accounts::stripe_connect::{ConnectState, connect_state, first_state_write};
use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::payments::{NewAccountLink, NewConnectedAccount};

use crate::BillingError;

#[derive(Serialize, ToSchema)]
pub struct OnboardingLink {
    /// Stripe's onboarding form; single-use, expires within minutes.
    url: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectStatus {
    /// The partner has a connected account (onboarding begun).
    connected: bool,
    charges_enabled: bool,
    payouts_enabled: bool,
}

impl ConnectStatus {
    fn of(state: Option<&ConnectState>) -> Self {
        Self {
            connected: state.is_some(),
            charges_enabled: state.is_some_and(|s| s.charges_enabled),
            payouts_enabled: state.is_some_and(|s| s.payouts_enabled),
        }
    }
}

/// The partner's own admins only: staff see the state but do not connect
/// an account for a partner; another partner is a 404.
fn ensure_own_partner(principal: &Principal, partner_id: &str) -> ApiResult<()> {
    principal.ensure_sees_partner(Some(partner_id), "partner")?;
    if principal.partner_id.as_deref() != Some(partner_id) {
        return Err(ApiError::forbidden(
            "only the partner's own admins connect its Stripe account",
        ));
    }
    Ok(())
}

/// Creates the partner's Express account the first time, then answers a
/// fresh onboarding link of it.
#[utoipa::path(post, path = "/v1/partners/{id}/stripe-connect", tag = "marketplace",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = OnboardingLink), (status = 403), (status = 404),
        (status = 503, description = "Stripe unavailable; retry")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn start_onboarding(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<OnboardingLink>> {
    ensure_own_partner(&principal, &partner_id)?;
    let partner = get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let account_id = match connect_state(&*ctx.store, &partner.id).await? {
        Some(state) => state.account_id,
        None => {
            let new = NewConnectedAccount {
                email: Some(principal.email.clone()),
                metadata: [("partnerId".to_owned(), partner.id.clone())].into(),
            };
            // One key per partner: a retry or a concurrent first call gets
            // the same account from Stripe.
            let key = format!("connect-account:{}", partner.id);
            let account = ctx
                .payments
                .create_connected_account(&new, &key)
                .await
                .map_err(BillingError::from)?;
            let write = first_state_write(&partner.id, &account, ctx.clock.now())?;
            match ctx.store.transact(vec![write]).await {
                Ok(()) => {}
                Err(e) if e.is_condition_failure() => {}
                Err(e) => return Err(e.into()),
            }
            account.id
        }
    };
    let settings = format!("{}/settings/stripe-connect", ctx.config.client_url);
    let link = NewAccountLink {
        account_id,
        refresh_url: format!("{settings}?stripe=refresh"),
        return_url: format!("{settings}?stripe=return"),
    };
    let url = ctx
        .payments
        .create_account_link(&link)
        .await
        .map_err(BillingError::from)?;
    Ok(Json(OnboardingLink { url }))
}

/// Whether the partner has a connected account and what Stripe enabled.
#[utoipa::path(get, path = "/v1/partners/{id}/stripe-connect", tag = "marketplace",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = ConnectStatus), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn connect_status(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(partner_id): Path<String>,
) -> ApiResult<Json<ConnectStatus>> {
    principal.ensure_sees_partner(Some(&partner_id), "partner")?;
    let partner = get_partner(&*ctx.store, &partner_id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    let state = connect_state(&*ctx.store, &partner.id).await?;
    Ok(Json(ConnectStatus::of(state.as_ref())))
}
