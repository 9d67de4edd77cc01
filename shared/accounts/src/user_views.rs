//! What the API shows of a user: the short profile of the session
//! endpoints and the full row of the users pages. Never a password hash.

use serde::Serialize;
use utoipa::ToSchema;

use pc_http::identity::{Principal, Role, UserRecord};
use pc_platform::time::timestamp;

/// `{id, email, name, role, partnerId, isActive}` (sign-in, `/auth/me`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub partner_id: Option<String>,
    pub is_active: bool,
}

impl From<&UserRecord> for UserProfile {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            partner_id: user.partner_id.clone(),
            is_active: user.is_active,
        }
    }
}

impl From<&Principal> for UserProfile {
    /// The auth layer only lets active users through.
    fn from(p: &Principal) -> Self {
        Self {
            id: p.user_id.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
            role: p.role,
            partner_id: p.partner_id.clone(),
            is_active: true,
        }
    }
}

/// A user as the users pages show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub partner_id: Option<String>,
    pub is_active: bool,
    pub is_partner_owner: bool,
    /// Invited, and the invitation not yet accepted.
    pub invitation_pending: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            partner_id: user.partner_id.clone(),
            is_active: user.is_active,
            is_partner_owner: user.is_partner_owner,
            invitation_pending: user.password_hash.is_none(),
            created_at: timestamp(user.created_at),
            updated_at: timestamp(user.updated_at),
        }
    }
}

/// The audit summary of a user: what changed, never secrets.
pub fn audit_summary(user: &UserRecord) -> serde_json::Value {
    serde_json::json!({
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "partnerId": user.partner_id,
        "isActive": user.is_active,
        "deleted": user.deleted_at.is_some(),
    })
}
