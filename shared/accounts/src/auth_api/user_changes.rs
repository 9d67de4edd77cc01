//! Saving a change to a user with its audit event in the same
//! transaction. Separate because the registration and the users endpoints
//! use it as well as the password flows here.

use pc_http::identity::UserRecord;
use pc_http::{ApiResult, Principal};
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;

use crate::user_views::audit_summary;
use crate::users_store;

/// Saves a change to a user (conditional on the version read) with its
/// audit event in the same transaction's outbox.
pub async fn save_user_change(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: &UserRecord,
    after: &UserRecord,
) -> ApiResult<()> {
    let event = user_change_event(ctx, actor, action, before, after);
    let mut outbox = Outbox::new(ctx.ids.new_id(), ctx.clock.now());
    pc_http::audit::add_to_outbox(&mut outbox, &event)?;
    let extra = outbox.write()?.into_iter().collect();
    users_store::save_user_with(&*ctx.store, before, after, extra).await?;
    Ok(())
}

/// The audit event of a change to a user.
pub fn user_change_event(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: &UserRecord,
    after: &UserRecord,
) -> pc_http::audit::AuditEvent {
    pc_http::audit::AuditEvent::new(
        ctx,
        actor,
        action,
        "user",
        &after.id,
        after.partner_id.as_deref(),
        audit_summary(before),
        audit_summary(after),
    )
}
