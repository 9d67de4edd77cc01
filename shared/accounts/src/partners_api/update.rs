//! Changing a partner: only the fields the body changes are written,
//! conditional on the partner's version, with the slug and meeting-type
//! guards moved in the same transaction; a change that lost a race is
//! re-applied to a fresh read.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::outbox::Outbox;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Guard, StoreError, Transaction, Update, Write};
use pc_platform::time::timestamp;

use crate::email_address::parse_name;
use crate::notification_preferences;
use crate::partner_input::{
    NotificationPreferencesPatch, parse_commission_rate, parse_icp, parse_meeting_types,
    parse_website, present,
};
use crate::partner_views::PartnerView;
use crate::partners_store::{
    self, CreatePartnerError, MEETING_TYPE_GUARD, PartnerKind, PartnerRecord, PartnerStatus,
    SLUG_GUARD, claim_meeting_type, claim_slug, release_meeting_type, release_slug,
};
use crate::slug::Slug;

use super::{SAVE_ATTEMPTS, backoff, stale_partner, visible_partner, visible_versioned};

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

/// The marketplace's `browse-index` message for a buyer, as this crate
/// sends it (the marketplace, which depends on this crate, reads it as its
/// `IndexChange::Buyer`, and its tests check they agree).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename = "buyer", rename_all = "camelCase")]
pub struct BuyerIndexChange {
    pub partner_id: String,
}

impl Message for BuyerIndexChange {
    const QUEUE: QueueName = QueueName::BrowseIndex;
}

/// The outbox write that has the marketplace rewrite the partner's browse
/// index (its matches depend on its ICP, and only active partners have
/// one).
fn buyer_index_change(
    ctx: &AppState,
    partner_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Write, SaveError> {
    let id = ctx.ids.new_id();
    let body = BuyerIndexChange {
        partner_id: partner_id.to_owned(),
    };
    let mut outbox = Outbox::new(id.clone(), now);
    let refused = |e: StoreError| SaveError::Refused(e.into());
    outbox
        .push_message(&format!("browse-index:{id}"), &body)
        .map_err(refused)?;
    outbox
        .write()
        .map_err(refused)?
        .ok_or_else(|| SaveError::Refused(ApiError::internal("an empty outbox")))
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
    /// The partner changed since it was read.
    const PARTNER_VERSION: Guard = Guard::new("partner_version");
    let mut writes = Transaction::new();
    writes.guarded(PARTNER_VERSION, Write::Update(update));
    if after.icp != before.icp || after.status != before.status {
        writes.push(buyer_index_change(ctx, &after.id, after.updated_at)?);
    }
    if after.slug != before.slug {
        writes.guarded(SLUG_GUARD, claim_slug(&after.slug, &after.id));
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
    for (t, key) in after.chili_meeting_types.iter().zip(&new) {
        if !old.contains(key) {
            writes.guarded(MEETING_TYPE_GUARD, claim_meeting_type(t, &after.id));
        }
    }
    for (t, key) in before.chili_meeting_types.iter().zip(&old) {
        if !new.contains(key) {
            writes.push(release_meeting_type(t, &after.id));
        }
    }
    match writes.commit(&*ctx.store).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(PARTNER_VERSION) => Err(SaveError::Stale),
        Err(e) if e.failed(SLUG_GUARD) => {
            Err(SaveError::Refused(CreatePartnerError::SlugTaken.into()))
        }
        Err(e) if e.failed(MEETING_TYPE_GUARD) => Err(SaveError::Refused(
            CreatePartnerError::MeetingTypeTaken.into(),
        )),
        // A guard this partner held moved meanwhile: a fresh read decides.
        Err(e) if e.lost_race() => Err(SaveError::Stale),
        Err(e) => Err(e.into()),
    }
}
