//! The rules of a notification preferences change around the webhook
//! secret: `PATCH /v1/partners/:id/notification-preferences` issues a new
//! secret (first webhook, or `rotateSecret: true`) and shows it once; the
//! general partner edit (`PATCH /v1/partners/:id`) may change a webhook's
//! URL and events but never issues a secret, since its answer is the
//! partner, not the place to show one.

use pc_http::AppState;
use pc_platform::failure::{Failure, FieldError};

use crate::partner_input::{NotificationPreferencesPatch, apply_preferences};
use crate::partner_views::NotificationPreferencesView;
use crate::partners_store::{NotificationPreferences, PartnerRecord};
use crate::webhook_secret;

/// The preferences after `patch`, with the secret sealed, and the new
/// secret to show when one was issued.
pub fn apply(
    ctx: &AppState,
    partner: &PartnerRecord,
    patch: NotificationPreferencesPatch,
) -> Result<(NotificationPreferences, Option<String>), Failure> {
    let applied = apply_preferences(
        "",
        &partner.notification_preferences,
        patch,
        ctx.config.webhook_local_receivers,
    )
    .map_err(Failure::Invalid)?;
    let mut prefs = applied.preferences;
    let secret = webhook_secret::settle(&ctx.config, &partner.id, &mut prefs, applied.issue_secret)
        .map_err(Failure::internal)?;
    Ok((prefs, secret))
}

/// The answer of a preferences change: the new secret shown this once.
pub fn view(
    prefs: &NotificationPreferences,
    new_secret: Option<String>,
) -> NotificationPreferencesView {
    let mut view = NotificationPreferencesView::from(prefs);
    if let Some(hook) = view.webhook.as_mut() {
        hook.secret = new_secret;
    }
    view
}

/// The partner edit's preferences: refused when the webhook would need a
/// new secret.
pub fn apply_without_new_secret(
    partner: &PartnerRecord,
    patch: NotificationPreferencesPatch,
    allow_local: bool,
) -> Result<NotificationPreferences, Vec<FieldError>> {
    let applied = apply_preferences(
        "notificationPreferences.",
        &partner.notification_preferences,
        patch,
        allow_local,
    )?;
    if applied.issue_secret {
        return Err(vec![FieldError::new(
            "notificationPreferences.webhook",
            "a new webhook or secret is set through PATCH /v1/partners/{id}/notification-preferences, whose answer shows the secret once",
        )]);
    }
    Ok(applied.preferences)
}
