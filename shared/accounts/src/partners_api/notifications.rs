//! A partner's notification preferences: which emails its users get and
//! its activity webhook, with the webhook's signing secret.

use axum::Json;
use axum::extract::{Path, State};

use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};
use pc_platform::time::timestamp;

use crate::notification_preferences;
use crate::partner_input::NotificationPreferencesPatch;
use crate::partner_views::NotificationPreferencesView;
use crate::partners_store;

use super::{SAVE_ATTEMPTS, backoff, stale_partner, visible_versioned};

/// Changes which emails the partner's users get and its activity webhook.
/// The webhook's signing secret is generated here, stored encrypted and
/// shown in this answer only when the webhook is first set or its secret
/// rotated (`rotateSecret: true`).
#[utoipa::path(patch, path = "/v1/partners/{id}/notification-preferences", tag = "partners",
    params(("id" = String, Path)), request_body = NotificationPreferencesPatch,
    responses((status = 200, body = NotificationPreferencesView), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn update_notification_preferences(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<NotificationPreferencesPatch>,
) -> ApiResult<Json<NotificationPreferencesView>> {
    // The patch is re-applied to a fresh read when the partner changed
    // meanwhile, so two edits of different flags both survive.
    for attempt in 0..SAVE_ATTEMPTS {
        let (before, version) = visible_versioned(&ctx, &principal, &id).await?;
        let (prefs, new_secret) = notification_preferences::apply(&ctx, &before, body.clone())?;
        let view = notification_preferences::view(&prefs, new_secret);
        if prefs == before.notification_preferences {
            return Ok(Json(view));
        }
        let update = partners_store::profile_update(&id)
            .set(
                "notificationPreferences",
                serde_json::to_value(&prefs).map_err(ApiError::internal)?,
            )
            .set("updatedAt", timestamp(ctx.clock.now()))
            .add("version", 1)
            .when(partners_store::version_condition(version));
        match ctx.store.update(update).await {
            Ok(_) => return Ok(Json(view)),
            Err(e) if e.lost_race() => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(stale_partner())
}
