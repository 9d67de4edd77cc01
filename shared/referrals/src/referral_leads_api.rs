//! `GET|POST /api/partner/leads`, `GET|PATCH /api/partner/leads/{leadId}`:
//! a referral partner's referrals. A referral becomes a lead of source
//! `partner_referral` owned by the referrer, created through the leads
//! capability's creation transaction (email guard, counters, search
//! entries, audit event) with the referral's terms on the lead, its note
//! and `+1` on the referrer's `totalReferrals`. A referrer sees only the
//! leads it referred: any other lead is a 404.
//!
//! A referrer may move a referral to `in_touch` (the client is talking
//! with the platform) or withdraw it (`lost_no_potential`), within the
//! pipeline's transitions; scheduling, winning and the other lost reasons
//! are the platform's.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use pc_accounts::partners_store::PartnerRecord;
use pc_http::list::{Column, ColumnKind, Direction, Filter, ListSpec, MAX_PER_PAGE, Operator};
use pc_http::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, Principal, ValidJson,
};
use pc_leads::lead::{LeadEmail, LeadRecord, NoteRecord, NoteView, parse_text};
use pc_leads::lead_changes::{ChangeError, Changed, change_lead};
use pc_leads::lead_notices::{change_messages, lead_event};
use pc_leads::leads_api::LeadPatch;
use pc_leads::leads_store::{self, LIST_SCAN_LIMIT, LeadWriteError, Partition};
use pc_leads::referral_commission::{LeadReferral, count_referral, get_commission};
use pc_leads::{DealStatus, LeadSource};
use pc_platform::failure::Failure;
use pc_platform::outbox::Outbox;
use pc_platform::store::pages::query_all;
use pc_platform::store::{from_item, retry_on_conflict};

use crate::portal_access::referral_partner;
use crate::referral_views::ReferralLeadView;

/// The statuses a referrer may set.
pub const REFERRER_STATUSES: [DealStatus; 2] = [DealStatus::InTouch, DealStatus::LostNoPotential];

/// Longest note a referral carries.
const MAX_NOTES: usize = 5_000;

pub const REFERRALS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("clientName", ColumnKind::Text),
        Column::new("clientEmail", ColumnKind::Text),
        Column::new("service", ColumnKind::Text),
        Column::new("status", ColumnKind::Enum(&DealStatus::NAMES)),
        Column::new("commission", ColumnKind::Number),
        Column::new("convertedAt", ColumnKind::Date),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("updatedAt", ColumnKind::Date),
    ],
    search_fields: &["clientName", "clientEmail", "service"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &["status", "limit"],
};

/// The portal's own parameters (`?status=pending&limit=20`), read into the
/// list query: `status` is `pending` (not won or lost yet), `won`, `lost`
/// (any lost reason) or one pipeline status; `limit` is `perPage`.
fn portal_parameters(query: &mut ListQuery, raw: Option<&str>) -> ApiResult<()> {
    let mut errors = Vec::new();
    if let Some(limit) = query.extra.get("limit") {
        let per_page_given = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .any(|(name, _)| name == "perPage");
        match limit.parse::<usize>() {
            _ if per_page_given => {
                errors.push(FieldError::new("limit", "give limit or perPage, not both"))
            }
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => query.per_page = n,
            _ => errors.push(FieldError::new(
                "limit",
                format!("must be from 1 to {MAX_PER_PAGE}"),
            )),
        }
    }
    if let Some(status) = query.extra.get("status") {
        let names = |keep: fn(DealStatus) -> bool| -> Value {
            DealStatus::ALL
                .into_iter()
                .filter(|s| keep(*s))
                .map(|s| Value::from(s.as_str()))
                .collect()
        };
        let (operator, value) = match status.as_str() {
            "pending" => (Operator::In, names(|s| !s.is_closed())),
            "lost" => (Operator::In, names(DealStatus::is_lost)),
            name if DealStatus::NAMES.contains(&name) => (Operator::Eq, Value::from(name)),
            _ => {
                errors.push(FieldError::new(
                    "status",
                    format!(
                        "must be pending, lost or one of {}",
                        DealStatus::NAMES.join(", ")
                    ),
                ));
                return Err(ApiError::validation(errors));
            }
        };
        query.filters.push(Filter {
            column: "status".to_owned(),
            operator,
            value,
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Every lead the partner referred, newest first.
pub async fn referred_leads(ctx: &AppState, partner_id: &str) -> ApiResult<Vec<LeadRecord>> {
    let partition = Partition::Source(LeadSource::PartnerReferral);
    let query = pc_platform::store::Query::partition(
        partition.index(true),
        partition.key(Some(partner_id)),
    )
    .descending();
    let leads = query_all(&*ctx.store, query, LIST_SCAN_LIMIT)
        .await?
        .into_iter()
        .map(from_item::<LeadRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(leads
        .into_iter()
        .filter(|l| is_referred_by(l, partner_id))
        .collect())
}

fn is_referred_by(lead: &LeadRecord, partner_id: &str) -> bool {
    lead.partner_id == partner_id
        && lead
            .referral
            .as_ref()
            .is_some_and(|r| r.referrer_id == partner_id)
}

/// The caller's referrals.
#[utoipa::path(get, path = "/api/partner/leads", tag = "referral portal",
    params(("status" = Option<String>, Query, description = "`pending` (not won or lost yet), `won`, `lost` (any lost reason) or one pipeline status"),
        ("limit" = Option<usize>, Query, description = "the page size: the same as `perPage`"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query),
        ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<ReferralLeadView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_referrals(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let mut query = ListQuery::parse(raw.as_deref(), &REFERRALS_LIST)?;
    portal_parameters(&mut query, raw.as_deref())?;
    let partner = referral_partner(&ctx, &principal).await?;
    let rows = referred_leads(&ctx, &partner.id)
        .await?
        .iter()
        .filter_map(ReferralLeadView::of)
        .map(|v| v.to_row())
        .collect();
    Ok(Json(query.apply(rows, &REFERRALS_LIST)))
}

/// `POST /api/partner/leads`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferralBody {
    pub client_name: String,
    pub client_email: String,
    #[serde(default)]
    pub client_phone: Option<String>,
    pub service: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A required short text: trimmed, 1 to 300 characters.
fn required_text(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match parse_text(text) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Err(m) => {
            errors.push(FieldError::new(field, m));
            None
        }
    }
}

/// Refers a client: a new lead of the caller's referral partner.
#[utoipa::path(post, path = "/api/partner/leads", tag = "referral portal",
    request_body = ReferralBody,
    responses((status = 201, body = ReferralLeadView), (status = 400), (status = 403),
        (status = 409, description = "`lead_email_taken`: this client was referred already")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_referral(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<ReferralBody>,
) -> ApiResult<(StatusCode, Json<ReferralLeadView>)> {
    let mut errors = Vec::new();
    let name = required_text("clientName", &body.client_name, &mut errors);
    let email = LeadEmail::parse(&body.client_email)
        .map_err(|m| errors.push(FieldError::new("clientEmail", m)))
        .ok();
    let phone = match body.client_phone.as_deref().map(parse_text).transpose() {
        Ok(p) => p.flatten(),
        Err(m) => {
            errors.push(FieldError::new("clientPhone", m));
            None
        }
    };
    let service = required_text("service", &body.service, &mut errors);
    let notes = body
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if notes.is_some_and(|n| n.chars().count() > MAX_NOTES) {
        errors.push(FieldError::new(
            "notes",
            format!("at most {MAX_NOTES} characters"),
        ));
    }
    let (Some(name), Some(email), Some(service), true) = (name, email, service, errors.is_empty())
    else {
        return Err(ApiError::validation(errors));
    };
    let partner = referral_partner(&ctx, &principal).await?;
    let lead = referred_lead(&ctx, &partner, email, name, phone, service);
    let event = lead_event(&ctx, Some(&principal), "created", None, &lead);
    let mut outbox = Outbox::new(ctx.ids.new_id(), lead.created_at);
    change_messages(&ctx, &mut outbox, &event, None, &lead, &partner.name)?;
    let mut extra: Vec<_> = outbox.write()?.into_iter().collect();
    extra.push(count_referral(&partner.id));
    if let Some(text) = notes {
        extra.push(leads_store::note_write(&NoteRecord {
            id: ctx.ids.new_id(),
            lead_id: lead.id.clone(),
            text: text.to_owned(),
            user_id: principal.user_id.clone(),
            user_name: principal.name.clone(),
            created_at: lead.created_at,
        })?);
    }
    leads_store::create_with(&*ctx.store, &lead, extra)
        .await
        .map_err(write_error)?;
    let view = ReferralLeadView::of(&lead).ok_or_else(|| ApiError::internal("no referral"))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The lead a referral becomes: the client's name split into first and
/// last name for the pipeline, the partner's current rate copied on it.
fn referred_lead(
    ctx: &AppState,
    partner: &PartnerRecord,
    email: LeadEmail,
    name: String,
    phone: Option<String>,
    service: String,
) -> LeadRecord {
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner.id.clone(),
        email,
        LeadSource::PartnerReferral,
        ctx.clock.now(),
    );
    let (first, last) = match name.split_once(' ') {
        Some((first, last)) => (first.to_owned(), Some(last.trim().to_owned())),
        None => (name.clone(), None),
    };
    lead.contact.first_name = Some(first);
    lead.contact.last_name = last;
    lead.contact.phone = phone;
    lead.referral = Some(LeadReferral {
        referrer_id: partner.id.clone(),
        client_name: name,
        service,
        commission_rate_bps: partner.commission_rate_bps.unwrap_or_default(),
        commission_cents: None,
        converted_at: None,
    });
    lead
}

fn write_error(e: LeadWriteError) -> ApiError {
    match e {
        LeadWriteError::EmailTaken => ApiError::conflict(
            ErrorCode::LeadEmailTaken,
            "a client with this email was referred already",
        ),
        LeadWriteError::Stale => ApiError::conflict(
            ErrorCode::StaleState,
            "the referral changed meanwhile, retry",
        ),
        LeadWriteError::NoPartner => ApiError::not_found("partner"),
        LeadWriteError::StaffOnly(refusal) => refusal.into(),
        LeadWriteError::Store(s) => s.into(),
    }
}

/// The caller's referral `id` with its notes, else 404.
async fn own_referral(
    ctx: &AppState,
    partner_id: &str,
    id: &str,
) -> ApiResult<(LeadRecord, Vec<NoteRecord>)> {
    leads_store::get_with_notes(&*ctx.store, id)
        .await?
        .filter(|(lead, _)| is_referred_by(lead, partner_id))
        .ok_or_else(|| ApiError::not_found("lead"))
}

async fn full_view(
    ctx: &AppState,
    lead: &LeadRecord,
    notes: &[NoteRecord],
) -> ApiResult<ReferralLeadView> {
    let mut view = ReferralLeadView::of(lead).ok_or_else(|| ApiError::not_found("lead"))?;
    view.notes = Some(notes.iter().map(NoteView::from).collect());
    if view.commission != Value::Null {
        view.commission_status = get_commission(&*ctx.store, &lead.partner_id, &lead.id)
            .await?
            .map(|c| c.status);
    }
    Ok(view)
}

/// One of the caller's referrals, with its notes and commission status.
#[utoipa::path(get, path = "/api/partner/leads/{leadId}", tag = "referral portal",
    params(("leadId" = String, Path)),
    responses((status = 200, body = ReferralLeadView), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_referral(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
) -> ApiResult<Json<ReferralLeadView>> {
    let partner = referral_partner(&ctx, &principal).await?;
    let (lead, notes) = own_referral(&ctx, &partner.id, &lead_id).await?;
    Ok(Json(full_view(&ctx, &lead, &notes).await?))
}

/// `PATCH /api/partner/leads/{leadId}`: what a referrer may change.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferralPatch {
    /// `in_touch` or `lost_no_potential`.
    #[serde(default)]
    pub status: Option<String>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "pc_accounts::partner_input::present")]
    #[schema(value_type = Option<String>)]
    pub client_phone: Option<Option<String>>,
}

/// The lead patch of a referrer's change, naming every bad field.
fn lead_patch(body: &ReferralPatch) -> ApiResult<LeadPatch> {
    let mut map = Map::new();
    let mut errors = Vec::new();
    if let Some(status) = body.status.as_deref() {
        match DealStatus::parse(status).filter(|s| REFERRER_STATUSES.contains(s)) {
            Some(s) => {
                map.insert("dealStatus".into(), s.as_str().into());
            }
            None => errors.push(FieldError::new(
                "status",
                "a referrer may set in_touch or lost_no_potential",
            )),
        }
    }
    if let Some(phone) = &body.client_phone {
        map.insert(
            "phone".into(),
            phone.clone().map_or(Value::Null, Value::String),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    LeadPatch::parse(&map).map_err(|mut e| {
        if let Failure::Invalid(details) = &mut e {
            for d in details {
                if d.field == "phone" {
                    d.field = "clientPhone".into();
                }
            }
        }
        e.into()
    })
}

/// Changes one of the caller's referrals: its status (see the module) or
/// the client's phone. A concurrent change is re-read and re-applied.
#[utoipa::path(patch, path = "/api/partner/leads/{leadId}", tag = "referral portal",
    params(("leadId" = String, Path)), request_body = ReferralPatch,
    responses((status = 200, body = ReferralLeadView), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "`invalid_transition`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_referral(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
    ValidJson(body): ValidJson<ReferralPatch>,
) -> ApiResult<Json<ReferralLeadView>> {
    let patch = lead_patch(&body)?;
    let partner = referral_partner(&ctx, &principal).await?;
    let (lead, notes) = retry_on_conflict(|_| async {
        let (before, notes) = own_referral(&ctx, &partner.id, &lead_id).await?;
        match change_lead(&ctx, Some(&principal), &before, &patch, Vec::new()).await {
            Ok(Changed::Unchanged) => Ok(Some((before, notes))),
            Ok(Changed::Stored(_)) => Ok(Some(own_referral(&ctx, &partner.id, &lead_id).await?)),
            Err(ChangeError::Write(LeadWriteError::Stale)) => Ok(None),
            Err(ChangeError::Write(e)) => Err(write_error(e)),
            Err(ChangeError::Refused(e)) => Err(e.into()),
            Err(ChangeError::StaffOnly(e)) => Err(e.into()),
        }
    })
    .await?
    .ok_or_else(|| write_error(LeadWriteError::Stale))?;
    Ok(Json(full_view(&ctx, &lead, &notes).await?))
}
