//! The emails of the accounts capability, with the data keys their
//! templates render. Each is an outbox message of the transaction that
//! stores its token, so a link is emailed exactly when its token exists;
//! each job id derives from the token's hash, so the worker sends it once.

use pc_platform::AppContext;
use pc_platform::email::data::{self, EmailData};
use pc_platform::email::{EmailJob, add_to_outbox};
use pc_platform::outbox::Outbox;
use pc_platform::store::StoreError;

use crate::one_time_tokens::IssuedToken;

fn link(ctx: &AppContext, page: &str, token: &IssuedToken) -> String {
    format!(
        "{}/{page}?token={}",
        ctx.config.client_url.trim_end_matches('/'),
        token.secret
    )
}

/// The job sending `data` to `to`, its id derived from the token's hash.
fn email_job<D: EmailData>(to: &str, token: &IssuedToken, data: &D) -> EmailJob {
    let id = format!("{}-{}", D::KIND.as_str(), &token.hash[..32]);
    EmailJob::new(id, to.to_owned(), data)
}

/// `{name, inviterName, partnerName, link}` to `${CLIENT_URL}/register?token=`.
pub fn send_invitation(
    ctx: &AppContext,
    outbox: &mut Outbox,
    to: &str,
    name: &str,
    inviter_name: &str,
    partner_name: Option<&str>,
    token: &IssuedToken,
) -> Result<(), StoreError> {
    let job = email_job(
        to,
        token,
        &data::Invitation {
            name: name.to_owned(),
            inviter_name: inviter_name.to_owned(),
            partner_name: partner_name.map(str::to_owned),
            link: link(ctx, "register", token),
        },
    );
    add_to_outbox(outbox, &job)
}

/// `{name, link}` to `${CLIENT_URL}/reset-password?token=`.
pub fn send_password_reset(
    ctx: &AppContext,
    outbox: &mut Outbox,
    to: &str,
    name: &str,
    token: &IssuedToken,
) -> Result<(), StoreError> {
    let job = email_job(
        to,
        token,
        &data::PasswordReset {
            name: name.to_owned(),
            link: link(ctx, "reset-password", token),
        },
    );
    add_to_outbox(outbox, &job)
}

/// `{name, companyName, link}` to `${CLIENT_URL}/verify?token=` (the app's
/// page that then calls `POST /v1/auth/verify-registration`).
pub fn send_registration_verification(
    ctx: &AppContext,
    outbox: &mut Outbox,
    to: &str,
    name: &str,
    company_name: &str,
    token: &IssuedToken,
) -> Result<(), StoreError> {
    let job = email_job(
        to,
        token,
        &data::RegistrationVerification {
            name: name.to_owned(),
            company_name: company_name.to_owned(),
            link: link(ctx, "verify", token),
        },
    );
    add_to_outbox(outbox, &job)
}
