//! Creating a partner: the body and its validation (every bad field at
//! once).

use pc_platform::error_code::ErrorCode;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, FieldError, ValidJson};
use pc_platform::store::{Guard, Transaction, Write};

use crate::billing_config::{self, BillingConfigView};
use crate::email_address::parse_name;
use crate::partner_input::{parse_icp, parse_kind_and_rate, parse_meeting_types, parse_website};
use crate::partner_views::PartnerView;
use crate::partners_store::{
    self, CreatePartnerError, NotificationPreferences, PartnerKind, PartnerRecord, PartnerStatus,
};
use crate::platform_seller::claim_platform_seller;
use crate::slug::Slug;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePartnerBody {
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub icp: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub chili_meeting_types: Option<Vec<String>>,
    #[serde(default)]
    pub billing: Option<BillingConfigView>,
    /// `agency` (the default), `referral` or `platform` (the platform's
    /// own seller; at most one, a second is a 409 `platform_seller_exists`).
    #[serde(default)]
    pub kind: Option<String>,
    /// A referral partner's commission in percent (above 0, at most 100).
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub commission_rate: Option<serde_json::Number>,
}

/// Creates an active partner; the slug comes from the name unless given.
#[utoipa::path(post, path = "/v1/partners", tag = "partners", request_body = CreatePartnerBody,
    responses((status = 201, body = PartnerView), (status = 400), (status = 403), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_partner(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<CreatePartnerBody>,
) -> ApiResult<(StatusCode, Json<PartnerView>)> {
    let mut errors = Vec::new();
    let name = parse_name(&body.name).map_err(|m| FieldError::new("name", m));
    let slug = body
        .slug
        .as_deref()
        .map(|s| Slug::parse(s).map_err(|m| FieldError::new("slug", m)))
        .transpose();
    let website = body
        .website
        .as_deref()
        .map(|w| parse_website("website", w))
        .transpose()
        .map(Option::flatten);
    let icp = parse_icp("icp", body.icp.unwrap_or_default());
    let types = parse_meeting_types(
        "chiliMeetingTypes",
        body.chili_meeting_types.unwrap_or_default(),
    );
    let kind = parse_kind_and_rate(body.kind.as_deref(), body.commission_rate.as_ref());
    if let Err(e) = &kind {
        errors.push(e.clone());
    }
    for e in [
        name.as_ref().err(),
        slug.as_ref().err(),
        website.as_ref().err(),
        icp.as_ref().err(),
        types.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        errors.push(e.clone());
    }
    let id = ctx.ids.new_id();
    let billing = match &body.billing {
        Some(view) => match billing_config::parse(&id, view, "billing.") {
            Ok(config) => Some(config),
            Err(e) => {
                errors.extend(e);
                None
            }
        },
        None => None,
    };
    let (Ok(name), Ok(slug), Ok(website), Ok(icp), Ok(types), Ok((kind, commission_rate_bps))) =
        (name, slug, website, icp, types, kind)
    else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = ctx.clock.now();
    let fixed_slug = slug.is_some();
    let mut partner = PartnerRecord {
        id,
        slug: slug
            .unwrap_or_else(|| Slug::from_name(&name))
            .as_str()
            .to_owned(),
        name,
        website,
        status: PartnerStatus::Active,
        icp,
        chili_meeting_types: types,
        notification_preferences: NotificationPreferences::default(),
        kind,
        commission_rate_bps,
        total_leads: 0,
        total_appointments: 0,
        last_appointment_date: None,
        created_at: now,
        updated_at: now,
    };
    /// Another partner is the platform seller.
    const PLATFORM_SELLER: Guard = Guard::new("platform_seller");
    let mut extra = Transaction::new();
    if let Some(config) = &billing {
        extra.push(Write::put(config.item()?));
    }
    if partner.kind == PartnerKind::Platform {
        extra.guarded(PLATFORM_SELLER, claim_platform_seller(&partner.id));
    }
    match partners_store::create_partner(&*ctx.store, &mut partner, fixed_slug, extra).await {
        Ok(()) => {}
        Err(CreatePartnerError::ExtraFailed(PLATFORM_SELLER)) => {
            return Err(ApiError::conflict(
                ErrorCode::PlatformSellerExists,
                "there is already a platform seller; there can be only one",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, Json(PartnerView::from(&partner))))
}
