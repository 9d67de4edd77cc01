//! What a lead change tells others: the audit event on the `events` queue,
//! the lost-lead alert and the new-lead notices on the `emails` queue. They
//! go into the outbox of the change's own transaction, so a stored change
//! always gets its messages and a cancelled one never does; the consumers
//! apply each event id and email job id once.

use serde_json::Value;

use pc_accounts::partners_store::PartnerRecord;
use pc_accounts::users_store::active_users_of_partner;
use pc_http::audit::{self, AuditEvent};
use pc_http::identity::Principal;
use pc_platform::AppContext;
use pc_platform::email::{self, EmailJob, data};
use pc_platform::outbox::Outbox;
use pc_platform::store::StoreError;
use pc_platform::time::timestamp;

use crate::lead::LeadRecord;

/// The link to a lead in the SPA.
pub fn lead_link(ctx: &AppContext, lead_id: &str) -> String {
    format!("{}/leads/{lead_id}", ctx.config.client_url)
}

/// The audit event of a lead change (`before` is `None` on creation).
pub fn lead_event(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: Option<&LeadRecord>,
    after: &LeadRecord,
) -> AuditEvent {
    AuditEvent::new(
        ctx,
        actor,
        action,
        "lead",
        &after.id,
        Some(&after.partner_id),
        before.map(LeadRecord::summary).unwrap_or(Value::Null),
        after.summary(),
    )
}

/// Adds the audit event of a change and, when the status moves into a
/// `lost_*` status, the lost-lead alert (its id derives from the event's)
/// to the change's outbox.
pub fn change_messages(
    ctx: &AppContext,
    outbox: &mut Outbox,
    event: &AuditEvent,
    before: Option<&LeadRecord>,
    after: &LeadRecord,
    partner_name: &str,
) -> Result<(), StoreError> {
    audit::add_to_outbox(outbox, event)?;
    let previous = before.map(|b| b.deal_status);
    if after.deal_status.is_lost() && previous != Some(after.deal_status) {
        let job = EmailJob::new(
            format!("lost:{}:{}", after.id, event.id),
            ctx.config.lost_lead_alert_to.clone(),
            &data::LostLeadAlert {
                lead: data::LostLead {
                    id: after.id.clone(),
                    email: after.email.clone(),
                    company: after.contact.company.clone(),
                    first_name: after.contact.first_name.clone(),
                    last_name: after.contact.last_name.clone(),
                },
                partner_name: partner_name.to_owned(),
                previous_status: previous.map(|s| s.as_str().to_owned()),
                new_status: after.deal_status.as_str().to_owned(),
                changed_by: event.user_name.clone().unwrap_or_else(|| "system".into()),
                link: lead_link(ctx, &after.id),
            },
        );
        email::add_to_outbox(outbox, &job)?;
    }
    Ok(())
}

/// Adds an email to every active user of the lead's partner about a new
/// lead, when the partner wants those emails, to the creation's outbox.
pub async fn new_lead_notices(
    ctx: &AppContext,
    outbox: &mut Outbox,
    lead: &LeadRecord,
    partner: &PartnerRecord,
    meeting_start: Option<&str>,
) -> Result<usize, StoreError> {
    if !partner.notification_preferences.email.new_lead {
        return Ok(0);
    }
    let users = active_users_of_partner(&*ctx.store, &partner.id).await?;
    for user in &users {
        let job = EmailJob::new(
            format!("new-lead:{}:{}", lead.id, user.id),
            user.email.clone(),
            &data::NewLeadNotice {
                name: user.name.clone(),
                partner_name: partner.name.clone(),
                lead: data::NewLead {
                    email: lead.email.clone(),
                    first_name: lead.contact.first_name.clone(),
                    last_name: lead.contact.last_name.clone(),
                    company: lead.contact.company.clone(),
                },
                meeting_start: meeting_start
                    .map(str::to_owned)
                    .or_else(|| lead.scheduled_date.map(timestamp)),
                link: lead_link(ctx, &lead.id),
            },
        );
        email::add_to_outbox(outbox, &job)?;
    }
    Ok(users.len())
}
