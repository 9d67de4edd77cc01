//! `POST /v1/marketplace/purchases/{id}/refund`: platform staff settle a
//! complaint about a completed purchase by refunding it in full (the use
//! case is `purchase_refund`).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};

use crate::purchase_refund::refund;
use crate::purchases_api::PurchaseView;
use crate::purchases_store::Side;

/// Longest refund reason, in characters.
const REASON_MAX: usize = 1_000;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundBody {
    /// Why the purchase is refunded (the complaint settled): kept on the
    /// purchase, audited and told to the buyer.
    reason: Option<String>,
    /// `true`: the seller's lead goes back on the market at its price;
    /// `false` (default): it is delisted, and its seller may list it again.
    #[serde(default)]
    relist: bool,
}

fn reason_of(body: &RefundBody) -> ApiResult<String> {
    let reason = body.reason.as_deref().map(str::trim).unwrap_or_default();
    let problem = if reason.is_empty() {
        "is required"
    } else if reason.chars().count() > REASON_MAX {
        "must be at most 1,000 characters"
    } else {
        return Ok(reason.to_owned());
    };
    Err(ApiError::validation(vec![FieldError::new(
        "reason", problem,
    )]))
}

/// Refunds a completed purchase in full: the payment at Stripe (the
/// seller's transfer reversed, the platform's fee refunded), the seller's
/// lead relisted or delisted, and the buyer's copy withdrawn.
#[utoipa::path(post, path = "/v1/marketplace/purchases/{id}/refund", tag = "marketplace",
    params(("id" = String, Path, description = "purchase id")), request_body = RefundBody,
    responses((status = 200, body = PurchaseView, description = "the purchase, `REFUNDED`"),
        (status = 400), (status = 403, description = "not platform staff"), (status = 404),
        (status = 409, description = "`already_refunded`, `purchase_not_completed`, `copy_on_marketplace` or `refund_refused` (Stripe refused it)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn refund_purchase(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RefundBody>,
) -> ApiResult<Json<PurchaseView>> {
    let reason = reason_of(&body)?;
    let refunded = refund(&ctx, &principal, &id, &reason, body.relist).await?;
    Ok(Json(PurchaseView::of(&refunded, Side::Buyer)))
}
