//! Who may call: roles, the stored user and session records that every
//! authenticated request checks, and their keys. The accounts capability
//! owns the endpoints that change them; this module owns their shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::time::serde_millis;

pub use crate::keys::{
    SESSION_PREFIX, meeting_type_key, partner_key, session_key, user_key, user_partition,
};

/// `owner > admin > user`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// A user as stored at `USER#<id>` / `PROFILE`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub id: String,
    /// Lowercased.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub partner_id: Option<String>,
    pub is_active: bool,
    /// First user of a self-registered partner.
    #[serde(default)]
    pub is_partner_owner: bool,
    /// Argon2id PHC string (or a legacy bcrypt hash until the next sign-in);
    /// `None` while an invitation is pending.
    pub password_hash: Option<String>,
    /// Tokens issued before this instant are revoked (password reset).
    #[serde(default, with = "serde_millis::option")]
    pub tokens_valid_after: Option<DateTime<Utc>>,
    #[serde(default, with = "serde_millis::option")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl UserRecord {
    /// Whether this user may act at all right now.
    pub fn can_sign_in(&self) -> bool {
        self.is_active && self.deleted_at.is_none()
    }
}

/// One sign-in's token family, stored at `USER#<id>` / `SESSION#<sid>`.
/// The access token names it; the refresh token names its current `jti`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    /// The one refresh token of this family that may still be used.
    pub refresh_jti: String,
    /// The token `refresh_jti` replaced, and when: for a short while it
    /// still yields a pair of this family (two tabs refreshing at once)
    /// instead of counting as theft.
    #[serde(default)]
    pub previous_jti: Option<String>,
    #[serde(default, with = "serde_millis::option")]
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub expires_at: DateTime<Utc>,
}

/// The caller of an authenticated request, as checked against the store
/// on this very request.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub partner_id: Option<String>,
    pub session_id: String,
}

impl Principal {
    /// Platform staff: an owner, or an admin without a partner.
    pub fn is_staff(&self) -> bool {
        self.partner_id.is_none() && self.role >= Role::Admin
    }

    pub fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }

    /// Whether records of `partner_id` are visible to this caller.
    pub fn sees_partner(&self, partner_id: Option<&str>) -> bool {
        self.is_staff() || (self.partner_id.is_some() && self.partner_id.as_deref() == partner_id)
    }

    /// A record of another tenant is a 404, never a 403.
    pub fn ensure_sees_partner(
        &self,
        partner_id: Option<&str>,
        what: &'static str,
    ) -> Result<(), pc_platform::failure::Failure> {
        if self.sees_partner(partner_id) {
            Ok(())
        } else {
            Err(pc_platform::failure::Failure::NotFound(what))
        }
    }

    /// The partner a scoped caller is limited to (`None` for staff).
    pub fn scope(&self) -> Option<&str> {
        if self.is_staff() {
            None
        } else {
            self.partner_id.as_deref()
        }
    }
}

/// What a partner's status allows its users, as the auth layer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerStanding {
    /// `active`: everything their role allows.
    Active,
    /// `pending_verification` or `pending_approval`: only themselves, the
    /// partner, onboarding and settings, until an owner activates it.
    AwaitingApproval,
    /// `inactive`, or no such partner: refused like a deactivated user.
    Refused,
}

impl PartnerStanding {
    /// The standing of a stored partner item (`None`: the partner is gone).
    pub fn of(partner: Option<&pc_platform::store::Item>) -> Self {
        match partner
            .and_then(|p| p.get("status"))
            .and_then(|s| s.as_str())
        {
            Some("active") => Self::Active,
            Some("pending_verification" | "pending_approval") => Self::AwaitingApproval,
            _ => Self::Refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, partner: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            email: "u@x.io".into(),
            name: "U".into(),
            role,
            partner_id: partner.map(str::to_owned),
            session_id: "s".into(),
        }
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::User);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn partner_standing_from_status() {
        let with = |status: &str| {
            let mut item = pc_platform::store::Item::new();
            item.insert("status".into(), status.into());
            PartnerStanding::of(Some(&item))
        };
        assert_eq!(with("active"), PartnerStanding::Active);
        assert_eq!(with("pending_approval"), PartnerStanding::AwaitingApproval);
        assert_eq!(
            with("pending_verification"),
            PartnerStanding::AwaitingApproval
        );
        assert_eq!(with("inactive"), PartnerStanding::Refused);
        assert_eq!(PartnerStanding::of(None), PartnerStanding::Refused);
    }

    #[test]
    fn tenancy() {
        let staff = principal(Role::Admin, None);
        let partner_admin = principal(Role::Admin, Some("p1"));
        let platform_user = principal(Role::User, None);
        assert!(staff.sees_partner(Some("p2")) && staff.scope().is_none());
        assert!(partner_admin.sees_partner(Some("p1")));
        assert!(!partner_admin.sees_partner(Some("p2")));
        assert!(!partner_admin.sees_partner(None));
        assert!(!platform_user.is_staff() && !platform_user.sees_partner(Some("p1")));
        assert_eq!(
            crate::ApiError::from(
                partner_admin
                    .ensure_sees_partner(Some("p2"), "lead")
                    .unwrap_err()
            )
            .status
            .as_u16(),
            404
        );
    }
}
