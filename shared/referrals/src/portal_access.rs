//! Who may use the referral portal: the users of a referral partner, each
//! for their own partner only. Anyone else signed in (platform staff, the
//! users of an agency) gets a 403 `not_a_referral_partner`; the dashboard
//! alone answers them, with `canAccessDashboard: false`.

use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;

use pc_accounts::partners_store::{PartnerKind, PartnerRecord, PartnerStatus, get_partner};
use pc_http::{AppState, Principal, Role};

pub fn not_a_referral_partner() -> Failure {
    Failure::denied(
        ErrorCode::NotAReferralPartner,
        "the referral portal is for the users of a referral partner",
    )
}

/// The caller's partner, whatever its kind (`None` for platform staff).
pub async fn callers_partner(
    ctx: &AppState,
    principal: &Principal,
) -> Result<Option<PartnerRecord>, Failure> {
    match principal.partner_id.as_deref() {
        None => Ok(None),
        Some(pid) => Ok(get_partner(&*ctx.store, pid).await?),
    }
}

/// Whether the partner's users may use the portal: an active referral
/// partner.
pub fn may_use_portal(partner: &PartnerRecord) -> bool {
    partner.kind == PartnerKind::Referral && partner.status == PartnerStatus::Active
}

/// The caller's referral partner, else 403.
pub async fn referral_partner(
    ctx: &AppState,
    principal: &Principal,
) -> Result<PartnerRecord, Failure> {
    callers_partner(ctx, principal)
        .await?
        .filter(may_use_portal)
        .ok_or_else(not_a_referral_partner)
}

/// [`referral_partner`] for a change of the partner's own settings: its
/// admins only (its users change nothing but their own account).
pub async fn referral_partner_admin(
    ctx: &AppState,
    principal: &Principal,
) -> Result<PartnerRecord, Failure> {
    let partner = referral_partner(ctx, principal).await?;
    if principal.role < Role::Admin {
        return Err(Failure::Forbidden(
            "only the partner's admins change its payout profile".into(),
        ));
    }
    Ok(partner)
}
