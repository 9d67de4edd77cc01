//! `GET|PATCH /api/partner/profile`: the referral partner's payout
//! profile. Any of its users reads it, its admins change it. The bank
//! account and tax id are sealed before they are stored and shown masked
//! (`****6789`); the plain values never leave the request that set them.

use axum::Json;
use axum::extract::State;
use pc_platform::error_code::ErrorCode;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};
use pc_platform::cipher::FieldCipher;
use pc_platform::store::retry_on_conflict;
use pc_platform::time::timestamp;

use crate::portal_access::{referral_partner, referral_partner_admin};
use crate::profile_input::{ProfilePatch, masked};
use crate::profile_store::{PaymentMethod, ProfileRecord, SealedField, get_profile, save_profile};

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub payment_email: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    /// Masked: `****` and the last four characters.
    pub bank_account: Option<String>,
    /// Masked: `****` and the last four characters.
    pub tax_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub notifications_enabled: bool,
    pub email_notifications: bool,
    pub monthly_reports: bool,
    pub updated_at: Option<String>,
}

fn cipher(ctx: &AppState) -> ApiResult<FieldCipher> {
    FieldCipher::from_config(&ctx.config).map_err(ApiError::internal)
}

async fn view(ctx: &AppState, p: &ProfileRecord) -> ApiResult<ProfileView> {
    let sealed = p.bank_account.iter().chain(&p.tax_id);
    let cipher = FieldCipher::opening(&ctx.config, sealed)
        .await
        .map_err(ApiError::internal)?;
    let open = |field: SealedField, sealed: &Option<pc_platform::cipher::Sealed>| {
        sealed
            .as_ref()
            .map(|s| {
                field
                    .open(&cipher, &p.partner_id, s)
                    .map(|plain| masked(&plain))
            })
            .transpose()
            .map_err(ApiError::internal)
    };
    Ok(ProfileView {
        payment_email: p.payment_email.clone(),
        payment_method: p.payment_method,
        bank_account: open(SealedField::BankAccount, &p.bank_account)?,
        tax_id: open(SealedField::TaxId, &p.tax_id)?,
        contact_name: p.contact_name.clone(),
        contact_email: p.contact_email.clone(),
        contact_phone: p.contact_phone.clone(),
        website: p.website.clone(),
        address: p.address.clone(),
        city: p.city.clone(),
        state: p.state.clone(),
        zip: p.zip.clone(),
        country: p.country.clone(),
        notifications_enabled: p.notifications_enabled,
        email_notifications: p.email_notifications,
        monthly_reports: p.monthly_reports,
        updated_at: p.updated_at.map(timestamp),
    })
}

/// The caller's payout profile.
#[utoipa::path(get, path = "/api/partner/profile", tag = "referral portal",
    responses((status = 200, body = ProfileView), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_my_profile(
    State(ctx): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<ProfileView>> {
    let partner = referral_partner(&ctx, &principal).await?;
    let profile = get_profile(&*ctx.store, &partner.id).await?;
    Ok(Json(view(&ctx, &profile).await?))
}

/// Changes the caller's payout profile (the partner's admins).
#[utoipa::path(patch, path = "/api/partner/profile", tag = "referral portal",
    request_body = crate::profile_input::ProfileChange,
    responses((status = 200, body = ProfileView), (status = 400), (status = 403), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_my_profile(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<Map<String, Value>>,
) -> ApiResult<Json<ProfileView>> {
    let patch = ProfilePatch::parse(&body).map_err(ApiError::validation)?;
    let partner = referral_partner_admin(&ctx, &principal).await?;
    let cipher = cipher(&ctx)?;
    let saved = retry_on_conflict(|_| async {
        let before = get_profile(&*ctx.store, &partner.id).await?;
        let mut after = patch.apply_plain(&before);
        let seal = |field: SealedField, plain: &Option<String>| {
            plain.as_ref().map(|p| field.seal(&cipher, &partner.id, p))
        };
        if let Some(bank) = &patch.bank_account {
            after.bank_account = seal(SealedField::BankAccount, bank);
        }
        if let Some(tax) = &patch.tax_id {
            after.tax_id = seal(SealedField::TaxId, tax);
        }
        after.version = before.version + 1;
        after.updated_at = Some(ctx.clock.now());
        // `false`: changed meanwhile; read it again.
        let saved = save_profile(&*ctx.store, &before, &after).await?;
        Ok::<_, ApiError>(saved.then_some(after))
    })
    .await?
    .ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::StaleState,
            "the profile changed meanwhile, retry",
        )
    })?;
    Ok(Json(view(&ctx, &saved).await?))
}
