//! The first owner account of a fresh local system (dev server start-up).

use pc_http::identity::{Role, UserRecord};
use pc_platform::AppContext;

use crate::users_store::{CreateUserError, create_user};

/// Creates an active owner with `email`/`password` unless that email exists.
/// Answers whether a user was created.
pub async fn seed_owner(
    ctx: &AppContext,
    email: &str,
    password: &str,
) -> Result<bool, CreateUserError> {
    let now = ctx.clock.now();
    let owner = UserRecord {
        id: ctx.ids.new_id(),
        email: email.trim().to_lowercase(),
        name: "Owner".into(),
        role: Role::Owner,
        partner_id: None,
        is_active: true,
        is_partner_owner: false,
        password_hash: Some(crate::passwords::hash(password)),
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    match create_user(&*ctx.store, &owner).await {
        Ok(()) => Ok(true),
        Err(CreateUserError::EmailTaken) => Ok(false),
        Err(e) => Err(e),
    }
}
