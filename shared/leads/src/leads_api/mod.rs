//! The lead endpoints, one module per use case: list, get (with notes),
//! create, update, add a note.

mod create;
mod get;
mod list;
mod notes;
mod update;

pub use create::*;
pub use get::*;
pub use list::*;
pub use notes::*;
pub use update::*;

use pc_accounts::partners_store::get_partner;
use pc_api::{ApiError, ApiResult, AppState, Principal};

use crate::lead::{LeadRecord, LeadView, PartnerRef};
use crate::lead_notices::NoticeError;
use crate::leads_store::{LeadWriteError, get_lead};

/// Reads a lead the caller may see (another tenant's lead is a 404).
async fn visible_lead(ctx: &AppState, principal: &Principal, id: &str) -> ApiResult<LeadRecord> {
    let lead = get_lead(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    Ok(lead)
}

async fn view_with_partner(
    ctx: &AppState,
    principal: &Principal,
    lead: &LeadRecord,
) -> ApiResult<LeadView> {
    let mut view = LeadView::of(lead);
    if principal.is_staff() {
        let name = get_partner(&*ctx.store, &lead.partner_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        view.partner = Some(PartnerRef {
            id: lead.partner_id.clone(),
            name,
        });
    }
    Ok(view)
}


fn notice_error(e: NoticeError) -> ApiError {
    match e {
        NoticeError::Queue(q) => q.into(),
        NoticeError::Store(s) => s.into(),
    }
}


fn write_error(e: LeadWriteError) -> ApiError {
    match e {
        LeadWriteError::EmailTaken => ApiError::conflict(
            "lead_email_taken",
            "this partner already has a lead with this email",
        ),
        LeadWriteError::Stale => {
            ApiError::conflict("stale_state", "the lead changed meanwhile, retry")
        }
        LeadWriteError::NoPartner => ApiError::invalid_field("partnerId", "no such partner"),
        LeadWriteError::Store(s) => s.into(),
    }
}

