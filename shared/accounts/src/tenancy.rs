//! The fine-grained tenancy rules on top of the function table's
//! coarse [`pc_http::Access`] check, in one place: who may see and manage
//! which user, and which role/partner a user may be given.
//!
//! - Another tenant's record is a 404, never a 403.
//! - Nobody raises anyone above their own role; only owners touch owners.
//! - Partner admins manage their own partner's users and admins only.
//! - Only the owner creates admins without a partner (platform staff).

use pc_http::identity::{Principal, Role, UserRecord};
use pc_platform::failure::Failure;

/// A live user the caller may see (deleted ones are gone for everyone).
pub fn ensure_sees_user(actor: &Principal, target: &UserRecord) -> Result<(), Failure> {
    if target.deleted_at.is_some() {
        return Err(Failure::NotFound("user"));
    }
    if actor.user_id == target.id {
        return Ok(());
    }
    actor.ensure_sees_partner(target.partner_id.as_deref(), "user")?;
    if actor.role < Role::Admin {
        return Err(Failure::Forbidden("only admins see other users".into()));
    }
    Ok(())
}

/// A user the caller may change (role, partner, status, deletion).
pub fn ensure_manages_user(actor: &Principal, target: &UserRecord) -> Result<(), Failure> {
    ensure_sees_user(actor, target)?;
    if actor.role < Role::Admin {
        return Err(Failure::Forbidden("only admins manage users".into()));
    }
    if target.role > actor.role || (target.role == Role::Owner && !actor.is_owner()) {
        return Err(Failure::Forbidden(
            "you cannot manage a user above your role".into(),
        ));
    }
    Ok(())
}

/// Whether the caller may give a user `role` within `partner_id`.
/// Unknown partners are the caller's concern (checked against the store).
pub fn ensure_may_assign(
    actor: &Principal,
    role: Role,
    partner_id: Option<&str>,
) -> Result<(), Failure> {
    if role > actor.role {
        return Err(Failure::Forbidden(
            "nobody can give a role above their own".into(),
        ));
    }
    if role == Role::Owner && partner_id.is_some() {
        return Err(Failure::invalid_field(
            "partnerId",
            "owners belong to no partner",
        ));
    }
    if !actor.is_staff() {
        // A partner admin stays inside their partner.
        if partner_id != actor.partner_id.as_deref() {
            return Err(match partner_id {
                Some(_) => Failure::NotFound("partner"),
                None => {
                    Failure::Forbidden("only platform staff manage users without a partner".into())
                }
            });
        }
        return Ok(());
    }
    if partner_id.is_none() && role >= Role::Admin && !actor.is_owner() {
        return Err(Failure::Forbidden(
            "only the owner creates admins without a partner".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn principal(role: Role, partner: Option<&str>) -> Principal {
        Principal {
            user_id: "actor".into(),
            email: "a@x.io".into(),
            name: "A".into(),
            role,
            partner_id: partner.map(str::to_owned),
            session_id: "s".into(),
        }
    }

    fn user(role: Role, partner: Option<&str>) -> UserRecord {
        UserRecord {
            id: "target".into(),
            email: "t@x.io".into(),
            name: "T".into(),
            role,
            partner_id: partner.map(str::to_owned),
            is_active: true,
            is_partner_owner: false,
            password_hash: None,
            tokens_valid_after: None,
            deleted_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn status(r: Result<(), Failure>) -> u16 {
        r.err()
            .map_or(200, |e| pc_http::ApiError::from(e).status.as_u16())
    }

    #[test]
    fn seeing_and_managing() {
        let owner = principal(Role::Owner, None);
        let staff = principal(Role::Admin, None);
        let p1_admin = principal(Role::Admin, Some("p1"));
        let p1_user = principal(Role::User, Some("p1"));
        let p1_member = user(Role::User, Some("p1"));
        let p2_member = user(Role::User, Some("p2"));
        let an_owner = user(Role::Owner, None);

        assert_eq!(status(ensure_manages_user(&p1_admin, &p1_member)), 200);
        assert_eq!(status(ensure_manages_user(&p1_admin, &p2_member)), 404);
        assert_eq!(status(ensure_manages_user(&p1_admin, &an_owner)), 404);
        assert_eq!(status(ensure_sees_user(&p1_user, &p1_member)), 403);
        assert_eq!(status(ensure_sees_user(&p1_user, &p2_member)), 404);
        assert_eq!(status(ensure_manages_user(&staff, &an_owner)), 403);
        assert_eq!(status(ensure_manages_user(&owner, &an_owner)), 200);
        let mut deleted = p1_member.clone();
        deleted.deleted_at = Some(Utc::now());
        assert_eq!(status(ensure_sees_user(&owner, &deleted)), 404);
    }

    #[test]
    fn assigning() {
        let owner = principal(Role::Owner, None);
        let staff = principal(Role::Admin, None);
        let p1_admin = principal(Role::Admin, Some("p1"));
        assert_eq!(
            status(ensure_may_assign(&p1_admin, Role::Admin, Some("p1"))),
            200
        );
        assert_eq!(
            status(ensure_may_assign(&p1_admin, Role::Owner, Some("p1"))),
            403
        );
        assert_eq!(
            status(ensure_may_assign(&p1_admin, Role::User, Some("p2"))),
            404
        );
        assert_eq!(status(ensure_may_assign(&p1_admin, Role::User, None)), 403);
        assert_eq!(
            status(ensure_may_assign(&staff, Role::Admin, Some("p2"))),
            200
        );
        assert_eq!(status(ensure_may_assign(&staff, Role::Admin, None)), 403);
        assert_eq!(status(ensure_may_assign(&staff, Role::Owner, None)), 403);
        assert_eq!(status(ensure_may_assign(&owner, Role::Admin, None)), 200);
        assert_eq!(
            status(ensure_may_assign(&owner, Role::Owner, Some("p1"))),
            400
        );
    }
}
