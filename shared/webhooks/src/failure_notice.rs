//! The email of a delivery given up after 24 hours of failures: to every
//! admin of the partner who can sign in, once per round of the delivery
//! (the job id names the delivery, the round and the admin, and the emails
//! are written in the transaction that marks the delivery failed).

use pc_accounts::partners_store::get_partner;
use pc_accounts::users_store::list_users;
use pc_http::AppState;
use pc_http::identity::Role;
use pc_platform::email::{EmailJob, add_to_outbox, data};
use pc_platform::outbox::Outbox;

use crate::WebhookError;
use crate::deliveries_store::DeliveryRecord;

pub async fn add_emails(
    ctx: &AppState,
    delivery: &DeliveryRecord,
    outbox: &mut Outbox,
) -> Result<(), WebhookError> {
    let partner = get_partner(&*ctx.store, &delivery.partner_id).await?;
    let partner_name = partner.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let url = partner
        .and_then(|p| p.notification_preferences.webhook)
        .map(|w| w.url)
        .unwrap_or_default();
    let admins = list_users(&*ctx.store, Some(&delivery.partner_id))
        .await?
        .into_iter()
        .filter(|u| u.can_sign_in() && (u.role >= Role::Admin || u.is_partner_owner));
    for admin in admins {
        let job = EmailJob::new(
            format!(
                "webhook-failed:{}:{}:{}",
                delivery.id, delivery.round, admin.id
            ),
            admin.email.clone(),
            &data::WebhookFailed {
                name: admin.name.clone(),
                partner_name: partner_name.clone(),
                event_type: delivery.event_type.clone(),
                event_id: delivery.event_id.clone(),
                url: url.clone(),
                attempts: delivery.attempt_count,
                link: format!("{}/settings/notifications", ctx.config.client_url),
            },
        );
        add_to_outbox(outbox, &job)?;
    }
    Ok(())
}
