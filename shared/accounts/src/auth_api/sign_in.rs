//! Sign-in with email and password: the rate limits counted before the
//! password is looked at, the partner's standing, and the upgrade of a
//! legacy hash. Separate because it is the one flow that guards against
//! guessing.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use chrono::{DateTime, Utc};
use pc_http::identity::{PartnerStanding, partner_key, user_key};
use pc_http::{ApiError, ApiResult, AppState, FieldError, ValidJson};
use pc_platform::store::{Condition, Store, StoreError, Update};

use super::signed_in;
use crate::client_ip::ClientIp;
use crate::email_address::EmailAddress;
use crate::passwords::{self, Verdict};
use crate::rate_limit::{self, Limit, SIGN_IN_FAILURES, SIGN_IN_FAILURES_PER_EMAIL, Window};
use crate::sessions_store;
use crate::user_views::UserProfile;
use crate::users_store;

/// Hashes off the async threads: Argon2id is deliberately slow.
async fn check_password(password: String, stored: Option<String>) -> Verdict {
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => passwords::verify(&password, &hash),
        None => {
            passwords::verify_dummy(&password);
            Verdict::Wrong
        }
    })
    .await
    .unwrap_or(Verdict::Wrong)
}

fn require_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.is_empty() {
        Err(FieldError::new(field, "is required"))
    } else if password.len() > 256 {
        Err(FieldError::new(field, "must be at most 256 bytes"))
    } else {
        Ok(())
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
}

/// The windows a sign-in of `email` from `ip` counts in at `now`: per
/// email and address, and per email from anywhere.
fn sign_in_windows(email: &EmailAddress, ip: &str, now: DateTime<Utc>) -> [(Limit, Window); 2] {
    [
        (
            SIGN_IN_FAILURES,
            SIGN_IN_FAILURES.window(&format!("{email}|{ip}"), now),
        ),
        (
            SIGN_IN_FAILURES_PER_EMAIL,
            SIGN_IN_FAILURES_PER_EMAIL.window(email.as_str(), now),
        ),
    ]
}

/// Forgets the sign-in attempts of `email` counted now, from `ip` and
/// from anywhere: the dev server's way out of a lockout it was testing.
pub async fn clear_sign_in_limits(
    store: &dyn Store,
    email: &EmailAddress,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (_, window) in sign_in_windows(email, ip, now) {
        store.delete(&window.key, None).await?;
    }
    Ok(())
}

/// Signs in with email and password; sets the `accessToken` and
/// `refreshToken` cookies and answers the user's profile.
#[utoipa::path(post, path = "/auth/sign-in", tag = "auth", request_body = SignInBody,
    responses((status = 200, body = UserProfile), (status = 400), (status = 401), (status = 429)))]
pub async fn sign_in(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<SignInBody>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email);
    let mut errors = Vec::new();
    if let Err(message) = &email {
        errors.push(FieldError::new("email", *message));
    }
    if let Err(e) = require_password("password", &body.password) {
        errors.push(e);
    }
    let email = match email {
        Ok(email) if errors.is_empty() => email,
        _ => return Err(ApiError::validation(errors)),
    };
    let now = ctx.clock.now();
    // Every attempt is counted before the password is looked at, with a
    // conditional increment: twenty concurrent guesses cannot all slip in
    // under the limit. A successful attempt gives its count back. Unknown
    // emails are counted the same way, so the answers reveal nothing.
    let windows = sign_in_windows(&email, &ip, now);
    for (i, (limit, window)) in windows.iter().enumerate() {
        if let Some(wait) = rate_limit::take(&*ctx.store, limit, window, now).await? {
            for (_, taken) in &windows[..i] {
                rate_limit::give_back(&*ctx.store, taken).await?;
            }
            return Err(ApiError::rate_limited(wait));
        }
    }
    let user = users_store::find_by_email(&*ctx.store, email.as_str()).await?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verdict = check_password(body.password, stored_hash.clone()).await;
    let user = match user {
        Some(user) if user.can_sign_in() && verdict != Verdict::Wrong => user,
        _ => return Err(ApiError::unauthorized("wrong email or password")),
    };
    // The users of an inactive partner are locked out like deactivated users.
    if let Some(pid) = &user.partner_id {
        let partner = ctx.store.get(&partner_key(pid)).await?;
        if PartnerStanding::of(partner.as_ref()) == PartnerStanding::Refused {
            return Err(ApiError::unauthorized("wrong email or password"));
        }
    }
    for (_, window) in &windows {
        rate_limit::give_back(&*ctx.store, window).await?;
    }
    if let (Verdict::RightRehash(new_hash), Some(old_hash)) = (verdict, stored_hash) {
        // Only if the hash is still the one just checked; losing that race
        // is harmless, the next sign-in rehashes.
        let update = Update::new(user_key(&user.id))
            .set("passwordHash", new_hash)
            .when(Condition::equals("passwordHash", old_hash));
        if let Err(e) = ctx.store.update(update).await
            && !e.is_condition_failure()
        {
            return Err(e.into());
        }
    }
    let pair = sessions_store::start(&ctx, &user).await?;
    Ok(signed_in(&ctx, &user, &pair))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use pc_http::identity::{Role, UserRecord};
    use pc_platform::EmbeddedParts;

    async fn sign_in_with(ctx: &AppState, email: &str, password: &str) -> Response {
        sign_in_from(ctx, "192.0.2.1", email, password).await
    }

    async fn sign_in_from(ctx: &AppState, ip: &str, email: &str, password: &str) -> Response {
        let body = SignInBody {
            email: email.into(),
            password: password.into(),
        };
        match sign_in(State(ctx.clone()), ClientIp(ip.into()), ValidJson(body)).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    }

    #[tokio::test]
    async fn no_change_of_ip_lifts_the_per_email_limit() {
        let ctx = EmbeddedParts::in_memory().context;
        let mut statuses = Vec::new();
        for i in 0..12 {
            let ip = format!("192.0.2.{i}");
            let r = sign_in_from(&ctx, &ip, "who@x.io", "Wrong-Pass-12").await;
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses[..10], [401; 10]);
        assert_eq!(statuses[10..], [429; 2]);
    }

    #[tokio::test]
    async fn legacy_bcrypt_hashes_sign_in_and_are_upgraded() {
        let ctx = EmbeddedParts::in_memory().context;
        let now = ctx.clock.now();
        let user = UserRecord {
            id: ctx.ids.new_id(),
            email: "legacy@x.io".into(),
            name: "Legacy".into(),
            role: Role::User,
            partner_id: None,
            is_active: true,
            is_partner_owner: false,
            password_hash: Some(bcrypt::hash("Old-System-Pass1", 4).unwrap()),
            tokens_valid_after: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        users_store::create_user(&*ctx.store, &user).await.unwrap();

        let wrong = sign_in_with(&ctx, "legacy@x.io", "Not-The-Pass1").await;
        assert_eq!(wrong.status().as_u16(), 401);
        let right = sign_in_with(&ctx, "LEGACY@x.io", "Old-System-Pass1").await;
        assert_eq!(right.status().as_u16(), 200);
        assert_eq!(
            right.headers().get_all("set-cookie").iter().count(),
            2,
            "access and refresh cookies"
        );
        let stored = users_store::get_user(&*ctx.store, &user.id)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
        // And the upgraded hash still signs in.
        let again = sign_in_with(&ctx, "legacy@x.io", "Old-System-Pass1").await;
        assert_eq!(again.status().as_u16(), 200);
    }
}
