//! `POST /v1/referral-partners/{id}/payouts {commissionIds}` (platform
//! staff): marks pending commissions paid. One transaction moves every
//! named commission from `pending` to `paid` (each on condition that it is
//! still pending) and their sum from the referrer's `pendingCents` to its
//! `paidCents`, so nothing is ever half paid or paid twice: unknown ids
//! are a 400 and already-paid ones a 409, each naming the ids.

use pc_platform::error_code::ErrorCode;
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_accounts::partners_store::{PartnerKind, get_partner};
use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_leads::lead::dollars;
use pc_leads::referral_commission::{
    CommissionRecord, CommissionStatus, get_commission, payout_writes,
};
use pc_platform::store::{MAX_TRANSACTION_WRITES, retry_on_conflict};
use pc_platform::time::timestamp;

use crate::referral_views::CommissionView;

/// Most commissions one payout pays: one transaction holds them and the
/// counters.
pub const MAX_PAYOUT: usize = MAX_TRANSACTION_WRITES - 1;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutBody {
    /// Ids of pending commissions of this partner (a commission's id is its lead's).
    pub commission_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutView {
    pub id: String,
    pub partner_id: String,
    #[schema(value_type = f64)]
    pub total: Value,
    pub paid_at: String,
    pub commissions: Vec<CommissionView>,
}

fn checked_ids(ids: &[String]) -> ApiResult<Vec<String>> {
    if ids.is_empty() || ids.len() > MAX_PAYOUT {
        return Err(ApiError::invalid_field(
            "commissionIds",
            format!("must name 1 to {MAX_PAYOUT} commissions"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if !pc_http::path_params::is_identifier(id) {
            errors.push(FieldError::new(
                format!("commissionIds[{i}]"),
                "is not an id",
            ));
        } else if !seen.insert(id.as_str()) {
            errors.push(FieldError::new(
                format!("commissionIds[{i}]"),
                "is listed twice",
            ));
        }
    }
    if errors.is_empty() {
        Ok(ids.to_vec())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn already_paid(ids: Vec<String>) -> ApiError {
    let mut e = ApiError::conflict(
        ErrorCode::CommissionAlreadyPaid,
        format!("already paid: {}", ids.join(", ")),
    );
    e.details = ids
        .into_iter()
        .map(|id| FieldError::new("commissionIds", format!("{id} is already paid")))
        .collect();
    e
}

/// Pays the named pending commissions of a referral partner.
#[utoipa::path(post, path = "/v1/referral-partners/{id}/payouts", tag = "referral portal",
    params(("id" = String, Path, description = "referral partner id")), request_body = PayoutBody,
    responses((status = 201, body = PayoutView), (status = 400, description = "unknown commission ids, named"),
        (status = 403), (status = 404),
        (status = 409, description = "`commission_already_paid`, naming the ids")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn pay_commissions(
    State(ctx): State<AppState>,
    _staff: Principal,
    Path(partner_id): Path<String>,
    ValidJson(body): ValidJson<PayoutBody>,
) -> ApiResult<(StatusCode, Json<PayoutView>)> {
    let ids = checked_ids(&body.commission_ids)?;
    get_partner(&*ctx.store, &partner_id)
        .await?
        .filter(|p| p.kind == PartnerKind::Referral)
        .ok_or_else(|| ApiError::not_found("referral partner"))?;
    let payout_id = ctx.ids.new_id();
    let paid = retry_on_conflict(|_| async {
        let mut found: Vec<CommissionRecord> = Vec::new();
        let mut unknown = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match get_commission(&*ctx.store, &partner_id, id).await? {
                Some(c) => found.push(c),
                None => unknown.push(FieldError::new(
                    format!("commissionIds[{i}]"),
                    format!("{id} is no commission of this partner"),
                )),
            }
        }
        if !unknown.is_empty() {
            return Err(ApiError::validation(unknown));
        }
        let paid: Vec<String> = found
            .iter()
            .filter(|c| c.status == CommissionStatus::Paid)
            .map(|c| c.id.clone())
            .collect();
        if !paid.is_empty() {
            return Err(already_paid(paid));
        }
        let now = ctx.clock.now();
        let writes = payout_writes(&partner_id, &found, &payout_id, now);
        match ctx.store.transact(writes).await {
            Ok(()) => Ok(Some((found, now))),
            // Paid meanwhile by another payout: the re-read names them.
            Err(e) if e.lost_race() => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    let Some((mut found, now)) = paid else {
        return Err(ApiError::conflict(
            ErrorCode::StaleState,
            "the commissions changed meanwhile, retry",
        ));
    };
    let total = found.iter().map(|c| c.amount_cents).sum();
    for c in &mut found {
        c.status = CommissionStatus::Paid;
        c.paid_at = Some(now);
        c.payout_id = Some(payout_id.clone());
    }
    Ok((
        StatusCode::CREATED,
        Json(PayoutView {
            id: payout_id,
            partner_id,
            total: dollars(total),
            paid_at: timestamp(now),
            commissions: found.iter().map(CommissionView::from).collect(),
        }),
    ))
}
