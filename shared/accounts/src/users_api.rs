//! The users endpoints: list, invite, get, update, status
//! and soft delete, scoped by [`crate::tenancy`]. Every change is audited.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use pc_http::identity::{Role, UserRecord};
use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListResponse, Principal, ValidJson,
};
use pc_platform::outbox::Outbox;
use pc_platform::store::Write;

use crate::account_emails;
use crate::auth_api::{save_user_change, user_change_event};
use crate::email_address::{EmailAddress, parse_name};
use crate::one_time_tokens::{self, Purpose};
use crate::partners_store;
use crate::tenancy::{ensure_manages_user, ensure_may_assign, ensure_sees_user};
use crate::user_views::UserView;
use crate::users_store::{self, create_user_writes};

const ROLES: &[&str] = &["user", "admin", "owner"];

const USERS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("name", ColumnKind::Text),
        Column::new("email", ColumnKind::Text),
        Column::new("role", ColumnKind::Enum(ROLES)),
        Column::new("isActive", ColumnKind::Bool),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("updatedAt", ColumnKind::Date),
        Column::new("partnerId", ColumnKind::Text),
        Column::new("invitationPending", ColumnKind::Bool),
    ],
    search_fields: &["name", "email"],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// Users the caller may see: everyone for platform staff, their partner's
/// users for partner admins (one query either way).
#[utoipa::path(get, path = "/v1/users", tag = "users",
    responses((status = 200, body = ListResponse<UserView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_users(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<serde_json::Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &USERS_LIST)?;
    let users = users_store::list_users(&*ctx.store, principal.scope()).await?;
    let rows = users
        .iter()
        .filter(|u| u.deleted_at.is_none())
        .map(|u| serde_json::to_value(UserView::from(u)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(Json(query.apply(rows, &USERS_LIST)))
}

fn parse_role(text: &str) -> Result<Role, FieldError> {
    Role::parse(text).ok_or_else(|| FieldError::new("role", "must be one of user, admin, owner"))
}

/// A known partner id, or 400 naming the field.
async fn existing_partner(
    ctx: &AppState,
    partner_id: &str,
) -> ApiResult<partners_store::PartnerRecord> {
    let found = if pc_http::path_params::is_identifier(partner_id) {
        partners_store::get_partner(&*ctx.store, partner_id).await?
    } else {
        None
    };
    found.ok_or_else(|| ApiError::invalid_field("partnerId", "no such partner"))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserBody {
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub partner_id: Option<String>,
}

/// Invites a user: creates the account without a password and emails a
/// 7-day invitation link. Partner admins invite into their own partner.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUserBody,
    responses((status = 201, body = UserView), (status = 400), (status = 403), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn create_user(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<CreateUserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&body.email).map_err(|m| FieldError::new("email", m));
    let name = parse_name(&body.name).map_err(|m| FieldError::new("name", m));
    let role = parse_role(&body.role);
    for e in [
        email.as_ref().err(),
        name.as_ref().err(),
        role.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        errors.push(e.clone());
    }
    let (Ok(email), Ok(name), Ok(role)) = (email, name, role) else {
        return Err(ApiError::validation(errors));
    };
    let partner_id = body
        .partner_id
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .or_else(|| principal.scope().map(str::to_owned));
    ensure_may_assign(&principal, role, partner_id.as_deref())?;
    let partner = match &partner_id {
        Some(pid) => Some(existing_partner(&ctx, pid).await?),
        None => None,
    };
    let now = ctx.clock.now();
    let user = UserRecord {
        id: ctx.ids.new_id(),
        email: email.into_string(),
        name,
        role,
        partner_id,
        is_active: true,
        is_partner_owner: false,
        password_hash: None,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let token = one_time_tokens::issue(
        Purpose::Invitation,
        &user.id,
        user.partner_id.as_deref(),
        now,
    );
    // The invitation email and the audit event commit with the user.
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    account_emails::send_invitation(
        &ctx,
        &mut outbox,
        &user.email,
        &user.name,
        &principal.name,
        partner.as_ref().map(|p| p.name.as_str()),
        &token,
    )?;
    let created = user_change_event(&ctx, Some(&principal), "created", &user, &user);
    pc_http::audit::add_to_outbox(&mut outbox, &created)?;
    let mut writes: Vec<Write> = create_user_writes(&user)?;
    writes.push(token.write.clone());
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => {
            return Err(ApiError::conflict(
                ErrorCode::EmailTaken,
                "a user with this email exists",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

async fn load_user(ctx: &AppState, id: &str) -> ApiResult<UserRecord> {
    users_store::get_user(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// One user: yourself, or a user you administer.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 403), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_user(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    let user = load_user(&ctx, &id).await?;
    ensure_sees_user(&principal, &user)?;
    Ok(Json(UserView::from(&user)))
}

/// Tells an absent field from an explicit `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// `null` moves the user out of any partner (platform staff only).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub partner_id: Option<Option<String>>,
}

/// Changes name (anyone, of themselves), role and partner (admins, within
/// the rules: nobody above their own role; the last owner stays an owner).
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UpdateUserBody,
    responses((status = 200, body = UserView), (status = 400), (status = 403), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_user(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<UpdateUserBody>,
) -> ApiResult<Json<UserView>> {
    let mut errors = Vec::new();
    let name = body
        .name
        .as_deref()
        .map(parse_name)
        .transpose()
        .map_err(|m| FieldError::new("name", m));
    let role = body.role.as_deref().map(parse_role).transpose();
    for e in [name.as_ref().err(), role.as_ref().err()]
        .into_iter()
        .flatten()
    {
        errors.push(e.clone());
    }
    let (Ok(name), Ok(role)) = (name, role) else {
        return Err(ApiError::validation(errors));
    };
    let before = load_user(&ctx, &id).await?;
    ensure_sees_user(&principal, &before)?;
    let new_partner = match body.partner_id {
        Some(p) => p.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
        None => before.partner_id.clone(),
    };
    let new_role = role.unwrap_or(before.role);
    let assignment_changes = new_role != before.role || new_partner != before.partner_id;
    if assignment_changes {
        ensure_manages_user(&principal, &before)?;
        if new_partner != before.partner_id && !principal.is_staff() {
            return Err(ApiError::forbidden(
                "only platform staff move users between partners",
            ));
        }
        ensure_may_assign(&principal, new_role, new_partner.as_deref())?;
        if let Some(pid) = new_partner
            .as_deref()
            .filter(|p| Some(*p) != before.partner_id.as_deref())
        {
            existing_partner(&ctx, pid).await?;
        }
    } else if principal.user_id != before.id {
        ensure_manages_user(&principal, &before)?;
    }
    let mut after = before.clone();
    if let Some(name) = name {
        after.name = name;
    }
    after.role = new_role;
    after.partner_id = new_partner;
    if after == before {
        return Ok(Json(UserView::from(&before)));
    }
    after.updated_at = ctx.clock.now();
    save_user_change(&ctx, Some(&principal), "updated", &before, &after).await?;
    Ok(Json(UserView::from(&after)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserStatusBody {
    pub is_active: bool,
}

/// Activates or deactivates a user; a deactivated user's sessions stop
/// working on their next request.
#[utoipa::path(patch, path = "/v1/users/{id}/status", tag = "users", params(("id" = String, Path)),
    request_body = UserStatusBody,
    responses((status = 200, body = UserView), (status = 400), (status = 403), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn set_user_status(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<UserStatusBody>,
) -> ApiResult<Json<UserView>> {
    let before = load_user(&ctx, &id).await?;
    ensure_manages_user(&principal, &before)?;
    if before.id == principal.user_id && !body.is_active {
        return Err(ApiError::forbidden("you cannot deactivate yourself"));
    }
    if before.is_active == body.is_active {
        return Ok(Json(UserView::from(&before)));
    }
    let mut after = before.clone();
    after.is_active = body.is_active;
    after.updated_at = ctx.clock.now();
    save_user_change(&ctx, Some(&principal), "status_changed", &before, &after).await?;
    Ok(Json(UserView::from(&after)))
}

/// Soft-deletes a user: the account stops working and leaves the lists;
/// records that point at it keep pointing at it.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn delete_user(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let before = load_user(&ctx, &id).await?;
    ensure_manages_user(&principal, &before)?;
    if before.id == principal.user_id {
        return Err(ApiError::forbidden("you cannot delete yourself"));
    }
    let now = ctx.clock.now();
    let mut after = before.clone();
    after.is_active = false;
    after.deleted_at = Some(now);
    after.updated_at = now;
    save_user_change(&ctx, Some(&principal), "deleted", &before, &after).await?;
    Ok(StatusCode::NO_CONTENT)
}
