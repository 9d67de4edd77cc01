//! The lead endpoints: list, get (with notes), create, update, add a note.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use pc_accounts::partners_store::{PartnerRecord, get_partner};
use pc_api::identity::partner_key;
use pc_api::list::{Column, ColumnKind, Direction, ListSpec, Operator};
use pc_api::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, Principal, ValidJson,
};
use pc_platform::outbox::Outbox;
use pc_platform::store::{Index, MAX_BATCH_GET, Query, Write, from_item};

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::{
    Contact, LeadEmail, LeadRecord, LeadView, NoteRecord, NoteView, PartnerRef, parse_dollars,
    parse_text,
};
use crate::lead_notices::{change_messages, lead_event};
use crate::leads_store::{
    LeadPartition, LeadWriteError, create_lead_with, get_lead, get_lead_with_notes, leads_of,
    leads_up_to, note_item, query_all, update_lead_with,
};

/// The columns of `GET /v1/leads`: every lead field (the SPA's filter
/// array, the magic link's "overdue" filters included, use these names).
pub const LEAD_COLUMNS: &[Column] = &[
    Column::new("id", ColumnKind::Text),
    Column::new("partnerId", ColumnKind::Text),
    Column::new("email", ColumnKind::Text),
    Column::new("firstName", ColumnKind::Text),
    Column::new("lastName", ColumnKind::Text),
    Column::new("company", ColumnKind::Text),
    Column::new("phone", ColumnKind::Text),
    Column::new("title", ColumnKind::Text),
    Column::new("website", ColumnKind::Text),
    Column::new("country", ColumnKind::Text),
    Column::new("industry", ColumnKind::Text),
    Column::new("companySize", ColumnKind::Text),
    Column::new("source", ColumnKind::Enum(&LeadSource::NAMES)),
    Column::new("dealStatus", ColumnKind::Enum(&DealStatus::NAMES)),
    Column::new("dealAmount", ColumnKind::Number),
    Column::new("salesManager", ColumnKind::Text),
    Column::new("scheduledDate", ColumnKind::Date),
    Column::new("hubspotContactId", ColumnKind::Text),
    Column::new("hubspotDealId", ColumnKind::Text),
    Column::new("createdAt", ColumnKind::Date),
    Column::new("updatedAt", ColumnKind::Date),
];

pub const LEADS_LIST: ListSpec = ListSpec {
    columns: LEAD_COLUMNS,
    search_fields: &["email", "firstName", "lastName", "company"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// The narrowest partition that holds every row the query can match.
pub fn plan_for(query: &ListQuery, scope: Option<&str>) -> LeadPartition {
    let partner = scope.map(str::to_owned).or_else(|| {
        query
            .filter("partnerId", Operator::Eq)
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(pid) = partner else {
        return LeadPartition::All;
    };
    let text_list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(status) = query
        .filter("dealStatus", Operator::Eq)
        .and_then(Value::as_str)
    {
        return LeadPartition::Statuses(pid, vec![status.to_owned()]);
    }
    if let Some(statuses) = query.filter("dealStatus", Operator::In) {
        return LeadPartition::Statuses(pid, text_list(statuses));
    }
    let open_only = query
        .filter("dealStatus", Operator::NotIn)
        .is_some_and(|v| {
            let excluded = text_list(v);
            DealStatus::CLOSED_NAMES
                .iter()
                .all(|c| excluded.iter().any(|e| e == c))
        });
    let scheduled_bound = query.filters.iter().any(|f| {
        f.column == "scheduledDate"
            && !matches!(
                f.operator,
                Operator::IsNull | Operator::Ne | Operator::NotIn
            )
    });
    if open_only && scheduled_bound {
        let before = query
            .filter("scheduledDate", Operator::Lt)
            .and_then(Value::as_str)
            .map(str::to_owned);
        return LeadPartition::Open(pid, before);
    }
    LeadPartition::Partner(pid)
}

/// The total of the unfiltered default view (newest first, no filter but
/// the partner, no search), from the partners' `totalLeads` counters,
/// kept in the same transaction as every lead creation; `None` for any
/// other view.
async fn default_view_total(
    ctx: &AppState,
    query: &ListQuery,
    plan: &LeadPartition,
) -> ApiResult<Option<usize>> {
    let default_sort = query.sort.len() == 1
        && query.sort[0].column == "createdAt"
        && query.sort[0].direction == Direction::Desc;
    let planned_partner = match plan {
        LeadPartition::Partner(pid) => Some(pid.as_str()),
        _ => None,
    };
    // The only filter the default view may have is the partner it reads.
    let only_partner_filter = query.filters.iter().all(|f| {
        f.column == "partnerId"
            && f.operator == Operator::Eq
            && f.value.as_str().is_some()
            && f.value.as_str() == planned_partner
    });
    if !default_sort || !only_partner_filter || query.search.is_some() {
        return Ok(None);
    }
    let count = |p: &PartnerRecord| usize::try_from(p.total_leads).unwrap_or(0);
    Ok(match plan {
        LeadPartition::Partner(pid) => Some(
            get_partner(&*ctx.store, pid)
                .await?
                .as_ref()
                .map_or(0, count),
        ),
        LeadPartition::All => {
            let items = query_all(
                &*ctx.store,
                Query::partition(Index::Gsi1, "PARTNERS"),
                usize::MAX,
            )
            .await?;
            let mut total = 0;
            for item in items {
                total += count(&from_item::<PartnerRecord>(item)?);
            }
            Some(total)
        }
        _ => None,
    })
}

/// Reads the partners of `ids` in batches: `{id → name}`.
async fn partner_names(
    ctx: &AppState,
    ids: impl IntoIterator<Item = String>,
) -> ApiResult<BTreeMap<String, String>> {
    let mut unique: Vec<String> = ids.into_iter().collect();
    unique.sort();
    unique.dedup();
    let mut names = BTreeMap::new();
    for chunk in unique.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| partner_key(id)).collect();
        for item in ctx.store.batch_get(&keys).await? {
            let p: PartnerRecord = from_item(item)?;
            names.insert(p.id, p.name);
        }
    }
    Ok(names)
}

/// Leads the caller sees, with the list contract. Rows come from the
/// narrowest partition (see `leads_store`), at most `LIST_SCAN_LIMIT`
/// of them, then are filtered, searched, sorted and paged.
#[utoipa::path(get, path = "/v1/leads", tag = "leads",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<LeadView>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_leads(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &LEADS_LIST)?;
    if !principal.is_staff() && principal.partner_id.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let scope = principal.scope();
    let plan = plan_for(&query, scope);
    let mut page = match default_view_total(&ctx, &query, &plan).await? {
        Some(total) => {
            // The unfiltered default view: read only up to this page, and
            // take the total from the partner counters.
            let wanted = (query.page + 1).saturating_mul(query.per_page);
            let rows: Vec<Value> = leads_up_to(&*ctx.store, &plan, wanted)
                .await?
                .iter()
                .map(|l| LeadView::of(l).to_row())
                .collect();
            let mut page = query.page_of(rows);
            page.meta.total = total;
            page
        }
        None => {
            let rows: Vec<Value> = leads_of(&*ctx.store, &plan)
                .await?
                .iter()
                .filter(|l| scope.is_none_or(|p| p == l.partner_id))
                .map(|l| LeadView::of(l).to_row())
                .collect();
            query.apply(rows, &LEADS_LIST)
        }
    };
    if principal.is_staff() {
        let names = partner_names(
            &ctx,
            page.list
                .iter()
                .filter_map(|r| r["partnerId"].as_str().map(str::to_owned)),
        )
        .await?;
        for row in &mut page.list {
            let pid = row["partnerId"].as_str().unwrap_or_default().to_owned();
            let name = names.get(&pid).cloned().unwrap_or_default();
            row["partner"] = serde_json::json!({"id": pid, "name": name});
        }
    }
    Ok(Json(page))
}

/// Reads a lead the caller may see (another tenant's lead is a 404).
async fn visible_lead(ctx: &AppState, principal: &Principal, id: &str) -> ApiResult<LeadRecord> {
    let lead = get_lead(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    Ok(lead)
}

async fn view_with_partner(
    ctx: &AppState,
    principal: &Principal,
    lead: &LeadRecord,
) -> ApiResult<LeadView> {
    let mut view = LeadView::of(lead);
    if principal.is_staff() {
        let name = get_partner(&*ctx.store, &lead.partner_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        view.partner = Some(PartnerRef {
            id: lead.partner_id.clone(),
            name,
        });
    }
    Ok(view)
}

/// One lead with its notes, newest first.
#[utoipa::path(get, path = "/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = LeadView), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_lead_handler(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<LeadView>> {
    let (lead, notes) = get_lead_with_notes(&*ctx.store, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    let mut view = view_with_partner(&ctx, &principal, &lead).await?;
    let mut notes = notes;
    notes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    view.notes = Some(notes.iter().map(NoteView::from).collect());
    Ok(Json(view))
}

/// `POST /v1/leads`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateLead {
    /// Required for platform staff; a partner's admin creates in their own partner.
    pub partner_id: Option<String>,
    pub email: String,
    #[serde(flatten)]
    pub contact: Contact,
    pub source: Option<LeadSource>,
    pub deal_status: Option<DealStatus>,
    /// Dollars, at most two decimals.
    #[schema(value_type = Option<f64>)]
    pub deal_amount: Option<serde_json::Number>,
    pub sales_manager: Option<String>,
    pub hubspot_contact_id: Option<String>,
    pub hubspot_deal_id: Option<String>,
}

fn clean_contact(contact: &Contact, errors: &mut Vec<FieldError>) -> Contact {
    let mut clean = Contact::default();
    let mut raw = contact.clone();
    for field in Contact::FIELDS {
        let value = raw.field_mut(field).and_then(Option::take);
        if let Some(text) = value {
            match parse_text(&text) {
                Ok(v) => *clean.field_mut(field).expect("a contact field") = v,
                Err(m) => errors.push(FieldError::new(field, m)),
            }
        }
    }
    clean
}

fn clean_text(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match value.map(parse_text) {
        Some(Ok(v)) => v,
        Some(Err(m)) => {
            errors.push(FieldError::new(field, m));
            None
        }
        None => None,
    }
}

/// The partner a new record goes to: a partner's admin gets their own
/// partner; staff must name an existing one.
pub async fn target_partner(
    ctx: &AppState,
    principal: &Principal,
    asked: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Option<PartnerRecord>> {
    let id = match (principal.scope(), asked) {
        (Some(own), Some(other)) if own != other => return Err(ApiError::not_found("partner")),
        (Some(own), _) => own.to_owned(),
        (None, Some(id)) => id.to_owned(),
        (None, None) => {
            errors.push(FieldError::new("partnerId", "is required"));
            return Ok(None);
        }
    };
    // Ids are identifiers; anything else names no partner (and is kept
    // away from the store's keys).
    let partner = if pc_api::path_params::is_identifier(&id) {
        get_partner(&*ctx.store, &id).await?
    } else {
        None
    };
    if partner.is_none() {
        errors.push(FieldError::new("partnerId", "no such partner"));
    }
    Ok(partner)
}

/// Creates a lead (admin).
#[utoipa::path(post, path = "/v1/leads", tag = "leads", request_body = CreateLead,
    responses((status = 201, body = LeadView), (status = 400), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_lead_handler(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<CreateLead>,
) -> ApiResult<(StatusCode, Json<LeadView>)> {
    let mut errors = Vec::new();
    let email = LeadEmail::parse(&body.email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let contact = clean_contact(&body.contact, &mut errors);
    let sales_manager = clean_text("salesManager", body.sales_manager.as_deref(), &mut errors);
    let hubspot_contact_id = clean_text(
        "hubspotContactId",
        body.hubspot_contact_id.as_deref(),
        &mut errors,
    );
    let hubspot_deal_id = clean_text(
        "hubspotDealId",
        body.hubspot_deal_id.as_deref(),
        &mut errors,
    );
    let amount = match body.deal_amount.as_ref().map(parse_dollars).transpose() {
        Ok(a) => a,
        Err(m) => {
            errors.push(FieldError::new("dealAmount", m));
            None
        }
    };
    let partner = target_partner(&ctx, &principal, body.partner_id.as_deref(), &mut errors).await?;
    let (Some(email), Some(partner), true) = (email, partner, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let now = ctx.clock.now();
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner.id.clone(),
        email,
        body.source.unwrap_or(LeadSource::Manual),
        now,
    );
    lead.contact = contact;
    lead.deal_status = body.deal_status.unwrap_or(DealStatus::New);
    lead.deal_amount_cents = amount;
    lead.sales_manager = sales_manager;
    lead.hubspot_contact_id = hubspot_contact_id;
    lead.hubspot_deal_id = hubspot_deal_id;
    // The audit event and any lost-lead alert commit with the lead.
    let event = lead_event(&ctx, Some(&principal), "created", None, &lead);
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    change_messages(&ctx, &mut outbox, &event, None, &lead, &partner.name)?;
    create_lead_with(&*ctx.store, &lead, outbox.write()?.into_iter().collect())
        .await
        .map_err(write_error)?;
    let view = view_with_partner(&ctx, &principal, &lead).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn write_error(e: LeadWriteError) -> ApiError {
    match e {
        LeadWriteError::EmailTaken => ApiError::conflict(
            "lead_email_taken",
            "this partner already has a lead with this email",
        ),
        LeadWriteError::Stale => {
            ApiError::conflict("stale_state", "the lead changed meanwhile, retry")
        }
        LeadWriteError::NoPartner => ApiError::invalid_field("partnerId", "no such partner"),
        LeadWriteError::Store(s) => s.into(),
    }
}

/// The fields `PATCH /v1/leads/{id}` accepts; `null` or `""` clears a text.
const PATCHABLE: &[&str] = &[
    "email",
    "firstName",
    "lastName",
    "company",
    "phone",
    "title",
    "website",
    "country",
    "industry",
    "companySize",
    "dealStatus",
    "dealAmount",
    "salesManager",
];

/// A checked lead change: each present field replaces the lead's.
#[derive(Clone, Debug, Default)]
pub struct LeadPatch {
    email: Option<LeadEmail>,
    texts: Vec<(&'static str, Option<String>)>,
    deal_status: Option<DealStatus>,
    deal_amount: Option<Option<i64>>,
}

impl LeadPatch {
    /// Parses a JSON object, naming every bad or unknown field.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut patch = LeadPatch::default();
        let mut errors = Vec::new();
        for (name, value) in body {
            let Some(field) = PATCHABLE.iter().find(|f| **f == name) else {
                errors.push(FieldError::new(name, "cannot be changed here"));
                continue;
            };
            match (*field, value) {
                ("email", Value::String(s)) => match LeadEmail::parse(s) {
                    Ok(e) => patch.email = Some(e),
                    Err(m) => errors.push(FieldError::new("email", m)),
                },
                ("dealStatus", Value::String(s)) => match DealStatus::parse(s) {
                    Some(st) => patch.deal_status = Some(st),
                    None => errors.push(FieldError::new(
                        "dealStatus",
                        format!("is one of {}", DealStatus::NAMES.join(", ")),
                    )),
                },
                ("dealAmount", Value::Null) => patch.deal_amount = Some(None),
                ("dealAmount", Value::Number(n)) => match parse_dollars(n) {
                    Ok(c) => patch.deal_amount = Some(Some(c)),
                    Err(m) => errors.push(FieldError::new("dealAmount", m)),
                },
                ("email" | "dealStatus" | "dealAmount", _) => {
                    errors.push(FieldError::new(*field, "has the wrong type"))
                }
                (_, Value::Null) => patch.texts.push((field, None)),
                (_, Value::String(s)) => match parse_text(s) {
                    Ok(v) => patch.texts.push((field, v)),
                    Err(m) => errors.push(FieldError::new(*field, m)),
                },
                (_, _) => errors.push(FieldError::new(*field, "must be text or null")),
            }
        }
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(ApiError::validation(errors))
        }
    }

    /// The lead after this change (version and time bumped), or a 409 when
    /// the status may not move that way.
    pub fn apply(
        &self,
        lead: &LeadRecord,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<LeadRecord> {
        let mut after = lead.clone();
        if let Some(email) = &self.email {
            after.email = email.as_str().to_owned();
        }
        for (field, value) in &self.texts {
            match *field {
                "salesManager" => after.sales_manager = value.clone(),
                other => {
                    if let Some(slot) = after.contact.field_mut(other) {
                        *slot = value.clone();
                    }
                }
            }
        }
        if let Some(status) = self.deal_status {
            if !lead.deal_status.can_become(status) {
                return Err(ApiError::conflict(
                    "invalid_transition",
                    format!(
                        "a {} lead cannot become {}",
                        lead.deal_status.as_str(),
                        status.as_str()
                    ),
                ));
            }
            after.deal_status = status;
        }
        if let Some(amount) = self.deal_amount {
            after.deal_amount_cents = amount;
        }
        after.version = lead.version + 1;
        after.updated_at = now;
        Ok(after)
    }
}

/// Changes a lead (admin): status (see `deal_status` for the allowed
/// moves), amount, contact fields, sales manager.
#[utoipa::path(patch, path = "/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = LeadView), (status = 400), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_lead_handler(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<Map<String, Value>>,
) -> ApiResult<Json<LeadView>> {
    let patch = LeadPatch::parse(&body)?;
    // A concurrent change makes the conditional write fail; re-read and
    // re-apply the patch a few times before answering 409.
    for _ in 0..5 {
        let before = visible_lead(&ctx, &principal, &id).await?;
        let after = patch.apply(&before, ctx.clock.now())?;
        if after.same_content(&before) {
            return Ok(Json(view_with_partner(&ctx, &principal, &before).await?));
        }
        let action = if before.deal_status != after.deal_status {
            "status_changed"
        } else {
            "updated"
        };
        let partner_name = get_partner(&*ctx.store, &after.partner_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        // The audit event and any lost-lead alert commit with the change.
        let event = lead_event(&ctx, Some(&principal), action, Some(&before), &after);
        let mut outbox = Outbox::new(ctx.ids.new_id(), after.updated_at);
        change_messages(
            &ctx,
            &mut outbox,
            &event,
            Some(&before),
            &after,
            &partner_name,
        )?;
        let extra = outbox.write()?.into_iter().collect();
        match update_lead_with(&*ctx.store, &before, &after, extra).await {
            Ok(()) => return Ok(Json(view_with_partner(&ctx, &principal, &after).await?)),
            Err(LeadWriteError::Stale) => continue,
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(write_error(LeadWriteError::Stale))
}

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
    let note = NoteRecord {
        id: ctx.ids.new_id(),
        lead_id: lead.id.clone(),
        text: text.to_owned(),
        user_id: principal.user_id.clone(),
        user_name: principal.name.clone(),
        created_at: ctx.clock.now(),
    };
    let event = pc_api::audit::AuditEvent::new(
        &ctx,
        Some(&principal),
        "note_added",
        "lead",
        &lead.id,
        Some(&lead.partner_id),
        Value::Null,
        serde_json::json!({"noteId": note.id, "text": note.text}),
    );
    let mut outbox = Outbox::new(ctx.ids.new_id(), note.created_at);
    pc_api::audit::add_to_outbox(&mut outbox, &event)?;
    let mut writes = vec![Write::put_new(note_item(&note)?)];
    outbox.add_to(&mut writes)?;
    ctx.store.transact(writes).await?;
    Ok((StatusCode::CREATED, Json(NoteView::from(&note))))
}
