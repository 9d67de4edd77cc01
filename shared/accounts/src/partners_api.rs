//! The partners endpoints: list (with the counters on every
//! row, one query), create, get by id or slug, update, stats, billing
//! configuration, onboarding progress, activation and notification
//! preferences. Partner admins see and change only their own partner.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use pc_api::identity::partner_key;
use pc_api::list::{Column, ColumnKind, Direction, ListSpec};
use pc_api::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, Principal, ValidJson,
};
use pc_platform::store::{Condition, Key, StoreError, Update, Write, from_item};
use pc_platform::time::timestamp;

use crate::billing_config::{self, BillingConfig, BillingConfigView, billing_key};
use crate::email_address::parse_name;
use crate::notification_preferences;
use crate::partner_input::{
    NotificationPreferencesPatch, parse_commission_rate, parse_icp, parse_kind_and_rate,
    parse_meeting_types, parse_website, present,
};
use crate::partner_views::{
    NotificationPreferencesView, Onboarding, OnboardingSteps, PartnerStats, PartnerView,
};
use crate::partners_store::{
    self, CreatePartnerError, NotificationPreferences, PartnerKind, PartnerRecord, PartnerStatus,
    claim_meeting_type, claim_slug, release_meeting_type, release_slug,
};
use crate::slug::Slug;

impl From<CreatePartnerError> for ApiError {
    fn from(e: CreatePartnerError) -> Self {
        match e {
            CreatePartnerError::SlugTaken => ApiError::conflict("slug_taken", "this slug is taken"),
            CreatePartnerError::MeetingTypeTaken => ApiError::conflict(
                "meeting_type_taken",
                "a meeting type is already routed to another partner",
            ),
            CreatePartnerError::ExtraFailed(_) => {
                ApiError::conflict("conflict", "a record this needs already exists")
            }
            CreatePartnerError::Store(s) => s.into(),
        }
    }
}

const STATUSES: &[&str] = &[
    "pending_verification",
    "pending_approval",
    "active",
    "inactive",
];

const PARTNERS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("name", ColumnKind::Text),
        Column::new("slug", ColumnKind::Text),
        Column::new("website", ColumnKind::Text),
        Column::new("status", ColumnKind::Enum(STATUSES)),
        Column::new("kind", ColumnKind::Enum(&PartnerKind::NAMES)),
        Column::new("totalLeads", ColumnKind::Number),
        Column::new("totalAppointments", ColumnKind::Number),
        Column::new("lastAppointmentDate", ColumnKind::Date),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("updatedAt", ColumnKind::Date),
    ],
    search_fields: &["name", "slug"],
    default_sort: ("name", Direction::Asc),
    extra_params: &[],
};

/// A partner the caller may see, else 404.
async fn visible_partner(
    ctx: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<PartnerRecord> {
    let partner = partners_store::get_partner(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok(partner)
}

/// Partners with `totalLeads`, `totalAppointments` and
/// `lastAppointmentDate` on every row, read from the partner items (one
/// query; the counters are kept by the leads capability).
#[utoipa::path(get, path = "/v1/partners", tag = "partners",
    responses((status = 200, body = ListResponse<PartnerView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_partners(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<serde_json::Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &PARTNERS_LIST)?;
    let partners = match principal.scope() {
        None => partners_store::list_partners(&*ctx.store).await?,
        Some(pid) => partners_store::get_partner(&*ctx.store, pid)
            .await?
            .into_iter()
            .collect(),
    };
    let rows = partners
        .iter()
        .map(|p| serde_json::to_value(PartnerView::from(p)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(Json(query.apply(rows, &PARTNERS_LIST)))
}

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
    /// `agency` (the default) or `referral`.
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
    let extra = match &billing {
        Some(config) => vec![Write::put(config.item()?)],
        None => Vec::new(),
    };
    partners_store::create_partner(&*ctx.store, &mut partner, fixed_slug, extra).await?;
    Ok((StatusCode::CREATED, Json(PartnerView::from(&partner))))
}

/// One partner, by id or slug.
#[utoipa::path(get, path = "/v1/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "partner id or slug")),
    responses((status = 200, body = PartnerView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_partner(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id_or_slug): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    let partner = partners_store::find_partner(&*ctx.store, &id_or_slug)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok(Json(PartnerView::from(&partner)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePartnerBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    #[serde(default)]
    pub icp: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub notification_preferences: Option<NotificationPreferencesPatch>,
    /// Platform staff only.
    #[serde(default)]
    pub slug: Option<String>,
    /// Platform staff only.
    #[serde(default)]
    pub chili_meeting_types: Option<Vec<String>>,
    /// Owners only: `inactive` locks the partner's users out on their next
    /// request (`POST /v1/partners/{id}/activate` brings it back).
    #[serde(default)]
    pub status: Option<String>,
    /// Platform staff only, referral partners only: the commission in
    /// percent on deals won from now on (a commission already earned keeps
    /// the rate it was earned at).
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub commission_rate: Option<serde_json::Number>,
}

/// Changes a partner. Slug and meeting types (with their guards, in the
/// same transaction) only by platform staff. Only the fields the body
/// changes are written, conditional on the partner's version; when someone
/// else changed the partner meanwhile, the body is re-applied to a fresh
/// read (a few times, then 409), so concurrent edits of different fields
/// all survive.
#[utoipa::path(patch, path = "/v1/partners/{id}", tag = "partners", params(("id" = String, Path)),
    request_body = UpdatePartnerBody,
    responses((status = 200, body = PartnerView), (status = 400), (status = 403), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_partner(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<UpdatePartnerBody>,
) -> ApiResult<Json<PartnerView>> {
    if (body.slug.is_some() || body.chili_meeting_types.is_some()) && !principal.is_staff() {
        visible_partner(&ctx, &principal, &id).await?;
        return Err(ApiError::forbidden(
            "only platform staff change the slug and meeting types",
        ));
    }
    if body.commission_rate.is_some() && !principal.is_staff() {
        visible_partner(&ctx, &principal, &id).await?;
        return Err(ApiError::forbidden(
            "only platform staff change a commission rate",
        ));
    }
    if body.status.is_some() && !principal.is_owner() {
        return Err(ApiError::forbidden("only owners change a partner's status"));
    }
    for attempt in 0..SAVE_ATTEMPTS {
        let (before, version) = visible_versioned(&ctx, &principal, &id).await?;
        let mut after = apply_partner_body(&before, &body, ctx.config.webhook_local_receivers)?;
        if after == before {
            return Ok(Json(PartnerView::from(&before)));
        }
        after.updated_at = ctx.clock.now();
        match save_partner_profile(&ctx, &before, version, &after).await {
            Ok(()) => return Ok(Json(PartnerView::from(&after))),
            Err(SaveError::Stale) => backoff(attempt).await,
            Err(SaveError::Refused(e)) => return Err(e),
        }
    }
    Err(stale_partner())
}

/// How many times a partner change is re-applied to a fresh read.
const SAVE_ATTEMPTS: u32 = 25;

/// A short, growing, jittered pause before re-reading, so racing writers
/// spread out instead of colliding again.
async fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let jitter = u64::from(nanos % 16);
    let ms = (2 + u64::from(attempt) * 2).min(40) + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

fn stale_partner() -> ApiError {
    ApiError::conflict(
        "stale_partner",
        "the partner was changed by someone else; reload and retry",
    )
}

/// The visible partner and its version, else 404.
async fn visible_versioned(
    ctx: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<(PartnerRecord, i64)> {
    let (partner, version) = partners_store::get_partner_versioned(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok((partner, version))
}

/// The partner after the body's changes, or every bad field.
fn apply_partner_body(
    before: &PartnerRecord,
    body: &UpdatePartnerBody,
    allow_local: bool,
) -> ApiResult<PartnerRecord> {
    let mut errors = Vec::new();
    let mut after = before.clone();
    match body.status.as_deref() {
        None => {}
        Some("inactive") => after.status = PartnerStatus::Inactive,
        Some(_) => errors.push(FieldError::new(
            "status",
            "must be \"inactive\" (activation is POST /v1/partners/{id}/activate)",
        )),
    }
    if let Some(name) = body.name.as_deref() {
        match parse_name(name) {
            Ok(n) => after.name = n,
            Err(m) => errors.push(FieldError::new("name", m)),
        }
    }
    if let Some(website) = &body.website {
        match website
            .as_deref()
            .map(|w| parse_website("website", w))
            .transpose()
        {
            Ok(w) => after.website = w.flatten(),
            Err(e) => errors.push(e),
        }
    }
    if let Some(icp) = &body.icp {
        match parse_icp("icp", icp.clone()) {
            Ok(icp) => after.icp = icp,
            Err(e) => errors.push(e),
        }
    }
    if let Some(patch) = &body.notification_preferences {
        match notification_preferences::apply_without_new_secret(before, patch.clone(), allow_local)
        {
            Ok(p) => after.notification_preferences = p,
            Err(e) => errors.extend(e),
        }
    }
    if let Some(slug) = body.slug.as_deref() {
        match Slug::parse(slug) {
            Ok(s) => after.slug = s.as_str().to_owned(),
            Err(m) => errors.push(FieldError::new("slug", m)),
        }
    }
    if let Some(types) = &body.chili_meeting_types {
        match parse_meeting_types("chiliMeetingTypes", types.clone()) {
            Ok(t) => after.chili_meeting_types = t,
            Err(e) => errors.push(e),
        }
    }
    if let Some(rate) = &body.commission_rate {
        match parse_commission_rate("commissionRate", rate) {
            Ok(_) if before.kind != PartnerKind::Referral => errors.push(FieldError::new(
                "commissionRate",
                "applies to referral partners only",
            )),
            Ok(bps) => after.commission_rate_bps = Some(bps),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(after)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Why a partner change was not saved.
enum SaveError {
    /// Someone changed the partner since it was read: re-read and re-apply.
    Stale,
    /// An answer for the caller (a guard is taken, a store failure).
    Refused(ApiError),
}

impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        SaveError::Refused(e.into())
    }
}

/// Adds `attr` to the update when it changed.
fn set_changed<T: serde::Serialize + PartialEq>(
    update: Update,
    attr: &str,
    before: &T,
    after: &T,
) -> Result<Update, SaveError> {
    if before == after {
        return Ok(update);
    }
    let value =
        serde_json::to_value(after).map_err(|e| SaveError::Refused(ApiError::internal(e)))?;
    Ok(update.set(attr, value))
}

/// Writes the partner's changed fields (never the counters) conditional on
/// the `version` read, and moves its guards, all in one transaction.
async fn save_partner_profile(
    ctx: &AppState,
    before: &PartnerRecord,
    version: i64,
    after: &PartnerRecord,
) -> Result<(), SaveError> {
    let mut update = partners_store::profile_update(&after.id);
    update = set_changed(update, "name", &before.name, &after.name)?;
    update = set_changed(update, "slug", &before.slug, &after.slug)?;
    update = set_changed(update, "website", &before.website, &after.website)?;
    update = set_changed(update, "icp", &before.icp, &after.icp)?;
    update = set_changed(
        update,
        "chiliMeetingTypes",
        &before.chili_meeting_types,
        &after.chili_meeting_types,
    )?;
    update = set_changed(update, "status", &before.status, &after.status)?;
    update = set_changed(
        update,
        "commissionRateBps",
        &before.commission_rate_bps,
        &after.commission_rate_bps,
    )?;
    update = set_changed(
        update,
        "notificationPreferences",
        &before.notification_preferences,
        &after.notification_preferences,
    )?;
    // The guards below are computed from the slug and types read: the
    // version condition makes sure they have not moved since.
    let update = update
        .set("updatedAt", timestamp(after.updated_at))
        .add("version", 1)
        .when(partners_store::version_condition(version));
    let mut writes = vec![Write::Update(update)];
    let mut claims = Vec::new();
    if after.slug != before.slug {
        claims.push(writes.len());
        writes.push(claim_slug(&after.slug, &after.id));
        writes.push(release_slug(&before.slug, &after.id));
    }
    let lower = |v: &[String]| {
        v.iter()
            .map(|t| t.trim().to_lowercase())
            .collect::<Vec<_>>()
    };
    let (old, new) = (
        lower(&before.chili_meeting_types),
        lower(&after.chili_meeting_types),
    );
    let mut type_claims = Vec::new();
    for (t, key) in after.chili_meeting_types.iter().zip(&new) {
        if !old.contains(key) {
            type_claims.push(writes.len());
            writes.push(claim_meeting_type(t, &after.id));
        }
    }
    for (t, key) in before.chili_meeting_types.iter().zip(&old) {
        if !new.contains(key) {
            writes.push(release_meeting_type(t, &after.id));
        }
    }
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed_at(0) => Err(SaveError::Stale),
        Err(e) if claims.iter().any(|i| e.failed_at(*i)) => Err(SaveError::Refused(
            ApiError::conflict("slug_taken", "this slug is taken"),
        )),
        Err(e) if type_claims.iter().any(|i| e.failed_at(*i)) => {
            Err(SaveError::Refused(ApiError::conflict(
                "meeting_type_taken",
                "a meeting type is already routed to another partner",
            )))
        }
        // A guard this partner held moved meanwhile: a fresh read decides.
        Err(e) if e.is_condition_failure() || e == StoreError::TransactionConflict => {
            Err(SaveError::Stale)
        }
        Err(e) => Err(e.into()),
    }
}

/// The partner's appointment and lead counters.
#[utoipa::path(get, path = "/v1/partners/{id}/stats", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = PartnerStats), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn partner_stats(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerStats>> {
    let partner = visible_partner(&ctx, &principal, &id).await?;
    Ok(Json(PartnerStats {
        last_appointment_date: partner.last_appointment_date.map(timestamp),
        total_leads: partner.total_leads,
        total_appointments: partner.total_appointments,
    }))
}

/// Reads the partner and its billing item in one batch.
async fn partner_and_billing(
    ctx: &AppState,
    id: &str,
) -> ApiResult<(PartnerRecord, Option<BillingConfig>)> {
    let (partner, billing, _) = partner_billing_hubspot(ctx, id).await?;
    Ok((partner, billing))
}

/// The partner, its billing configuration, and whether it has connected
/// HubSpot (the HubSpot capability keeps the connection at
/// `PARTNER#<id>` / `HUBSPOT`), in one read.
async fn partner_billing_hubspot(
    ctx: &AppState,
    id: &str,
) -> ApiResult<(PartnerRecord, Option<BillingConfig>, bool)> {
    let hubspot_key = Key::new(format!("PARTNER#{id}"), "HUBSPOT");
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

/// How far the partner is through onboarding.
#[utoipa::path(get, path = "/v1/partners/{id}/onboarding", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = Onboarding), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn onboarding(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Onboarding>> {
    let (partner, billing, hubspot_connected) = partner_billing_hubspot(&ctx, &id).await?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    let steps = OnboardingSteps {
        email_verified: partner.status != PartnerStatus::PendingVerification,
        icp_configured: !partner.icp.is_empty(),
        hubspot_connected,
        billing_configured: billing.is_some(),
    };
    Ok(Json(Onboarding {
        percent: steps.percent(),
        steps,
    }))
}

/// Activates a partner whose registration was verified (or reactivates one).
#[utoipa::path(post, path = "/v1/partners/{id}/activate", tag = "partners", params(("id" = String, Path)),
    responses((status = 200, body = PartnerView), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn activate_partner(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    let update = partners_store::profile_update(&id)
        .set("status", "active")
        .set("updatedAt", timestamp(ctx.clock.now()))
        .when(Condition::Exists.and(Condition::not_equals("status", "pending_verification")));
    match ctx.store.update(update).await {
        Ok(item) => Ok(Json(PartnerView::from(&from_item::<PartnerRecord>(item)?))),
        Err(e) if e.is_condition_failure() => {
            match partners_store::get_partner(&*ctx.store, &id).await? {
                None => Err(ApiError::not_found("partner")),
                Some(_) => Err(ApiError::conflict(
                    "not_verified",
                    "the partner has not verified its email yet",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Changes which emails the partner's users get and its activity webhook.
/// The webhook's signing secret is generated here, stored encrypted and
/// shown in this answer only when the webhook is first set or its secret
/// rotated (`rotateSecret: true`).
#[utoipa::path(patch, path = "/v1/partners/{id}/notification-preferences", tag = "partners",
    params(("id" = String, Path)), request_body = NotificationPreferencesPatch,
    responses((status = 200, body = NotificationPreferencesView), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_notification_preferences(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<NotificationPreferencesPatch>,
) -> ApiResult<Json<NotificationPreferencesView>> {
    // The patch is re-applied to a fresh read when the partner changed
    // meanwhile, so two edits of different flags both survive.
    for attempt in 0..SAVE_ATTEMPTS {
        let (before, version) = visible_versioned(&ctx, &principal, &id).await?;
        let (prefs, new_secret) = notification_preferences::apply(&ctx, &before, body.clone())?;
        let view = notification_preferences::view(&prefs, new_secret);
        if prefs == before.notification_preferences {
            return Ok(Json(view));
        }
        let update = partners_store::profile_update(&id)
            .set(
                "notificationPreferences",
                serde_json::to_value(&prefs).map_err(ApiError::internal)?,
            )
            .set("updatedAt", timestamp(ctx.clock.now()))
            .add("version", 1)
            .when(partners_store::version_condition(version));
        match ctx.store.update(update).await {
            Ok(_) => return Ok(Json(view)),
            Err(e) if e.is_condition_failure() || e == StoreError::TransactionConflict => {
                backoff(attempt).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(stale_partner())
}
