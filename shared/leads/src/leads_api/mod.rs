//! The lead endpoints, one module per use case: list, get (with notes and
//! meetings), create, update, add a note, the sales managers' names.

mod create;
mod get;
mod list;
mod notes;
mod sales_managers;
mod update;

// Named one by one (with utoipa's `__path_` item of each handler, which
// the OpenAPI document reads), so a name leads to its module.
pub use create::{__path_create_lead, CreateLead, create_lead, target_partner};
pub use get::{__path_get_lead, get_lead};
pub use list::{__path_list_leads, LEAD_COLUMNS, LEADS_LIST, list_leads};
pub use notes::{__path_create_note, CreateNote, MAX_NOTE, create_note, note_writes};
pub use sales_managers::{__path_list_sales_managers, list_sales_managers};
pub use update::{__path_update_lead, LeadChange, LeadPatch, update_lead};

use pc_accounts::partners_store::partner_names;
use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal};
use pc_platform::error_code::ErrorCode;
use pc_platform::failure::Failure;

use crate::deal_status::TransitionRefused;
use crate::lead::{LeadRecord, LeadView, PartnerRef};
use crate::leads_store::{self, LeadWriteError};
use crate::referral_commission::StaffOnly;

/// Reads a lead the caller may see (another tenant's lead is a 404).
async fn visible_lead(ctx: &AppState, principal: &Principal, id: &str) -> ApiResult<LeadRecord> {
    let lead = leads_store::get(&*ctx.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead"))?;
    principal.ensure_sees_partner(Some(&lead.partner_id), "lead")?;
    Ok(lead)
}

/// The lead as the caller sees it: staff also see its partner's name.
async fn view_with_partner(
    ctx: &AppState,
    principal: &Principal,
    lead: &LeadRecord,
) -> ApiResult<LeadView> {
    let mut view = LeadView::of(lead);
    if principal.is_staff() {
        let name = partner_names(&*ctx.store, [lead.partner_id.clone()])
            .await?
            .remove(&lead.partner_id)
            .unwrap_or_default();
        view.partner = Some(PartnerRef {
            id: lead.partner_id.clone(),
            name,
        });
    }
    Ok(view)
}

fn write_error(e: LeadWriteError) -> ApiError {
    match e {
        LeadWriteError::EmailTaken => ApiError::conflict(
            ErrorCode::LeadEmailTaken,
            "this partner already has a lead with this email",
        ),
        LeadWriteError::Stale => {
            ApiError::conflict(ErrorCode::StaleState, "the lead changed meanwhile, retry")
        }
        LeadWriteError::NoPartner => ApiError::invalid_field("partnerId", "no such partner"),
        LeadWriteError::StaffOnly(refusal) => refusal.into(),
        LeadWriteError::Store(s) => s.into(),
    }
}

/// A referred lead's commission fields changed by anyone but staff: 403
/// `staff_only`, naming each field.
impl From<StaffOnly> for Failure {
    fn from(e: StaffOnly) -> Self {
        Failure::Denied {
            code: ErrorCode::StaffOnly,
            message: e.to_string(),
            details: e
                .fields
                .iter()
                .map(|f| FieldError::new(*f, "only platform staff may set this on a referred lead"))
                .collect(),
        }
    }
}

pc_http::answer_through_failure!(StaffOnly, TransitionRefused);

/// A status change the pipeline does not allow is a conflict with the
/// lead's state.
impl From<TransitionRefused> for Failure {
    fn from(e: TransitionRefused) -> Self {
        Failure::conflict(ErrorCode::InvalidTransition, e.to_string())
    }
}
