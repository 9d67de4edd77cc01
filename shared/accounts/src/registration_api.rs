//! Partner self-registration: register → verify the emailed link and set a
//! password → an owner activates. Registering an email that already exists
//! answers exactly like a new one. Registrations are limited per source IP
//! (each sends an email from our domain). One not verified within
//! [`REGISTRATION_DAYS`] lets go of its email and slug: its guards carry
//! that expiry, a new registration may take them over (removing the old
//! user and partner in the same transaction), and DynamoDB TTL removes the
//! rest. Verifying clears the expiry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use chrono::Duration;

use pc_http::identity::{Role, UserRecord, partner_key, user_key};
use pc_http::{ApiError, ApiResult, AppState, FieldError, ValidJson};
use pc_platform::outbox::Outbox;
use pc_platform::store::{Condition, Update, Write};

use crate::account_emails;
use crate::auth_api::{
    Confirmation, hash_password, save_user_change, signed_in, user_change_event,
};
use crate::client_ip::ClientIp;
use crate::email_address::{EmailAddress, parse_name};
use crate::one_time_tokens::{self, Purpose};
use crate::partner_input::parse_website;
use crate::partners_store::{
    self, CreatePartnerError, NotificationPreferences, PartnerRecord, PartnerStatus,
    REGISTRATION_EXPIRES_AT, RegistrationExpiry, slug_guard_key,
};
use crate::passwords;
use crate::rate_limit::{self, REGISTRATIONS};
use crate::sessions_store;
use crate::slug::Slug;
use crate::users_store::{
    self, REGISTRATION_PARTNER_ID, email_guard_key, registration_user_writes,
};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterPartnerBody {
    pub company_name: String,
    #[serde(default)]
    pub website: Option<String>,
    pub name: String,
    pub email: String,
}

/// Days an unverified registration holds its email and slug.
pub const REGISTRATION_DAYS: i64 = 7;

const REGISTERED: &str =
    "Thanks! If this email can be registered, a verification link is on its way.";

/// Creates a partner awaiting verification and its first user (an admin
/// of it, `isPartnerOwner`), and emails the verification link.
#[utoipa::path(post, path = "/v1/auth/register-partner", tag = "auth", request_body = RegisterPartnerBody,
    responses((status = 202, body = Confirmation), (status = 400), (status = 429)))]
pub async fn register_partner(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<RegisterPartnerBody>,
) -> ApiResult<(StatusCode, Json<Confirmation>)> {
    let company = parse_name(&body.company_name).map_err(|m| FieldError::new("companyName", m));
    let website = body
        .website
        .as_deref()
        .map(|w| parse_website("website", w))
        .transpose()
        .map(Option::flatten);
    let name = parse_name(&body.name).map_err(|m| FieldError::new("name", m));
    let email = EmailAddress::parse(&body.email).map_err(|m| FieldError::new("email", m));
    let errors: Vec<FieldError> = [
        company.as_ref().err(),
        website.as_ref().err(),
        name.as_ref().err(),
        email.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let (Ok(company), Ok(website), Ok(name), Ok(email)) = (company, website, name, email) else {
        return Err(ApiError::validation(errors));
    };
    let now = ctx.clock.now();
    let window = REGISTRATIONS.window(&ip, now);
    if let Some(wait) = rate_limit::take(&*ctx.store, &REGISTRATIONS, &window, now).await? {
        return Err(ApiError::rate_limited(wait));
    }
    let mut partner = PartnerRecord {
        id: ctx.ids.new_id(),
        name: company.clone(),
        slug: Slug::from_name(&company).as_str().to_owned(),
        website,
        status: PartnerStatus::PendingVerification,
        icp: Default::default(),
        chili_meeting_types: Vec::new(),
        notification_preferences: NotificationPreferences::default(),
        kind: Default::default(),
        commission_rate_bps: None,
        total_leads: 0,
        total_appointments: 0,
        last_appointment_date: None,
        created_at: now,
        updated_at: now,
    };
    let user = UserRecord {
        id: ctx.ids.new_id(),
        email: email.into_string(),
        name,
        role: Role::Admin,
        partner_id: Some(partner.id.clone()),
        is_active: true,
        is_partner_owner: true,
        password_hash: None,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let token = one_time_tokens::issue(
        Purpose::RegistrationVerification,
        &user.id,
        Some(&partner.id),
        now,
    );
    let expiry = RegistrationExpiry {
        expires_at: (now + Duration::days(REGISTRATION_DAYS)).timestamp(),
        now: now.timestamp(),
    };
    // The verification email and the audit event commit with the account.
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    account_emails::send_registration_verification(
        &ctx,
        &mut outbox,
        &user.email,
        &user.name,
        &partner.name,
        &token,
    )?;
    let created = user_change_event(&ctx, None, "created", &user, &user);
    pc_http::audit::add_to_outbox(&mut outbox, &created)?;
    let mut extra = registration_user_writes(&user, &partner.id, expiry)?;
    extra.push(token.write.clone());
    if let Some((old_user, old_partner)) =
        users_store::expired_registration(&*ctx.store, &user.email, expiry.now).await?
    {
        extra.push(Write::Delete {
            key: user_key(&old_user),
            condition: None,
        });
        extra.push(Write::Delete {
            key: partner_key(&old_partner),
            condition: Some(Condition::equals("status", "pending_verification")),
        });
    }
    outbox.add_to(&mut extra)?;
    match partners_store::create_registered_partner(&*ctx.store, &mut partner, extra, expiry).await
    {
        Ok(()) => {}
        // The email is taken (or the slug lost every race): the same
        // answer, so nobody learns which emails have accounts.
        Err(CreatePartnerError::ExtraFailed(_) | CreatePartnerError::SlugTaken) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::ACCEPTED, Confirmation::new(REGISTERED)))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyRegistrationBody {
    pub token: String,
    pub password: String,
}

/// Confirms the email with the link's token, sets the password, moves the
/// partner to `pending_approval` and signs in.
#[utoipa::path(post, path = "/v1/auth/verify-registration", tag = "auth",
    request_body = VerifyRegistrationBody,
    responses((status = 200, body = crate::user_views::UserProfile), (status = 400)))]
pub async fn verify_registration(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<VerifyRegistrationBody>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    if body.token.trim().is_empty() {
        errors.push(FieldError::new("token", "is required"));
    }
    if let Err(e) = passwords::check_policy("password", &body.password) {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let password_hash = hash_password(body.password).await?;
    let now = ctx.clock.now();
    let consumed = one_time_tokens::consume(
        &*ctx.store,
        Purpose::RegistrationVerification,
        &body.token,
        now,
    )
    .await?;
    let before = users_store::get_user(&*ctx.store, &consumed.user_id)
        .await?
        .filter(UserRecord::can_sign_in)
        .ok_or_else(|| ApiError::invalid_field("token", "the link is invalid or has expired"))?;
    let mut after = before.clone();
    after.password_hash = Some(password_hash);
    after.updated_at = now;
    save_user_change(&ctx, None, "registration_verified", &before, &after).await?;
    if let Some(pid) = &consumed.partner_id {
        keep_registration(&ctx, &after, pid, now).await?;
    }
    let pair = sessions_store::start(&ctx, &after).await?;
    Ok(signed_in(&ctx, &after, &pair))
}

/// Moves a verified registration's partner to `pending_approval` and
/// clears the expiry from its items and guards, in one transaction.
async fn keep_registration(
    ctx: &AppState,
    user: &UserRecord,
    partner_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    let Some(partner) = partners_store::get_partner(&*ctx.store, partner_id).await? else {
        return Ok(());
    };
    let kept = |update: Update| Write::Update(update.remove(REGISTRATION_EXPIRES_AT).remove("ttl"));
    let writes = vec![
        kept(
            partners_store::profile_update(partner_id)
                .set("status", "pending_approval")
                .set("updatedAt", pc_platform::time::timestamp(now))
                .when(Condition::equals("status", "pending_verification")),
        ),
        kept(
            Update::new(email_guard_key(&user.email))
                .remove(REGISTRATION_PARTNER_ID)
                .when(Condition::equals("userId", user.id.clone())),
        ),
        kept(
            Update::new(slug_guard_key(&partner.slug))
                .when(Condition::equals("partnerId", partner_id)),
        ),
    ];
    match ctx.store.transact(writes).await {
        // Already past verification: nothing to move.
        Err(e) if e.is_condition_failure() => Ok(()),
        other => Ok(other?),
    }
}
