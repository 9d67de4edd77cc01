//! The emails of the accounts capability, put on the `emails` queue with
//! the data keys their templates render. Each job id derives from the
//! token's hash, so a retried request never sends the same link twice.

use serde_json::json;

use pc_platform::AppContext;
use pc_platform::email::{EmailJob, EmailKind, enqueue};
use pc_platform::queue::QueueError;

use crate::one_time_tokens::IssuedToken;

fn link(ctx: &AppContext, page: &str, token: &IssuedToken) -> String {
    format!(
        "{}/{page}?token={}",
        ctx.config.client_url.trim_end_matches('/'),
        token.secret
    )
}

fn job_id(kind: EmailKind, token: &IssuedToken) -> String {
    format!("{}-{}", kind.as_str(), &token.hash[..32])
}

/// `{name, inviterName, partnerName, link}` to `${CLIENT_URL}/register?token=`.
pub async fn send_invitation(
    ctx: &AppContext,
    to: &str,
    name: &str,
    inviter_name: &str,
    partner_name: Option<&str>,
    token: &IssuedToken,
) -> Result<(), QueueError> {
    let kind = EmailKind::Invitation;
    let job = EmailJob {
        id: job_id(kind, token),
        kind,
        to: to.to_owned(),
        data: json!({
            "name": name,
            "inviterName": inviter_name,
            "partnerName": partner_name,
            "link": link(ctx, "register", token),
        }),
    };
    enqueue(&*ctx.queue, &job).await
}

/// `{name, link}` to `${CLIENT_URL}/reset-password?token=`.
pub async fn send_password_reset(
    ctx: &AppContext,
    to: &str,
    name: &str,
    token: &IssuedToken,
) -> Result<(), QueueError> {
    let kind = EmailKind::PasswordReset;
    let job = EmailJob {
        id: job_id(kind, token),
        kind,
        to: to.to_owned(),
        data: json!({"name": name, "link": link(ctx, "reset-password", token)}),
    };
    enqueue(&*ctx.queue, &job).await
}

/// `{name, companyName, link}` to `${CLIENT_URL}/verify-registration?token=`.
pub async fn send_registration_verification(
    ctx: &AppContext,
    to: &str,
    name: &str,
    company_name: &str,
    token: &IssuedToken,
) -> Result<(), QueueError> {
    let kind = EmailKind::RegistrationVerification;
    let job = EmailJob {
        id: job_id(kind, token),
        kind,
        to: to.to_owned(),
        data: json!({
            "name": name,
            "companyName": company_name,
            "link": link(ctx, "verify-registration", token),
        }),
    };
    enqueue(&*ctx.queue, &job).await
}
