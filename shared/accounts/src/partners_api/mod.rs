//! The partners endpoints: list (with the counters on every
//! row, one query), create, get by id or slug, update, stats, billing
//! configuration, onboarding progress, activation and notification
//! preferences. Partner admins see and change only their own partner.
//!
//! This module holds what the endpoints share: the partner the caller may
//! see, the answers for a slug or meeting type already taken, and the
//! retry of a change that lost a race with another writer.

use pc_http::{ApiError, ApiResult, AppState, Principal};
use pc_platform::error_code::ErrorCode;

use crate::partners_store::{self, CreatePartnerError, PartnerRecord};

pub mod billing;
pub mod create;
pub mod listing;
pub mod notifications;
pub mod onboarding;
pub mod update;

/// The answers for a guard another partner holds, when a partner is
/// created and when its slug or meeting types change.
impl From<CreatePartnerError> for ApiError {
    fn from(e: CreatePartnerError) -> Self {
        match e {
            CreatePartnerError::SlugTaken => {
                ApiError::conflict(ErrorCode::SlugTaken, "this slug is taken")
            }
            CreatePartnerError::MeetingTypeTaken => ApiError::conflict(
                ErrorCode::MeetingTypeTaken,
                "a meeting type is already routed to another partner",
            ),
            CreatePartnerError::ExtraFailed(_) => {
                ApiError::conflict(ErrorCode::Conflict, "a record this needs already exists")
            }
            CreatePartnerError::Store(s) => s.into(),
        }
    }
}

/// A partner the caller may see, else 404.
async fn visible_partner(
    ctx: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<PartnerRecord> {
    let partner = partners_store::get_partner(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok(partner)
}

/// How many times a partner change is re-applied to a fresh read.
const SAVE_ATTEMPTS: u32 = 25;

/// A short, growing, jittered pause before re-reading, so racing writers
/// spread out instead of colliding again.
async fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let jitter = u64::from(nanos % 16);
    let ms = (2 + u64::from(attempt) * 2).min(40) + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

fn stale_partner() -> ApiError {
    ApiError::conflict(
        ErrorCode::StalePartner,
        "the partner was changed by someone else; reload and retry",
    )
}

/// The visible partner and its version, else 404.
async fn visible_versioned(
    ctx: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<(PartnerRecord, i64)> {
    let (partner, version) = partners_store::get_partner_versioned(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("partner"))?;
    principal.ensure_sees_partner(Some(&partner.id), "partner")?;
    Ok((partner, version))
}
