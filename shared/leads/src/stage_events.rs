//! `stage-updated` on the bus (and from there to the lead's partner's
//! connected SPAs) when a lead's `dealStatus` changes. Every path that
//! moves a status (the API, the partner API, HubSpot, ChiliPiper, a sync)
//! records a `lead` / `status_changed` audit event on the `events` queue;
//! the `events` worker publishes this once it stored the event for the
//! first time, so a redelivered audit event publishes nothing again.

use serde_json::{Value, json};

use pc_http::audit::AuditEvent;
use pc_platform::bus::BusEvent;
use pc_platform::time::timestamp;

/// The `stage-updated` event of an audit event, if it is a lead's status
/// change of a partner.
pub fn stage_updated(event: &AuditEvent) -> Option<BusEvent> {
    if event.entity != "lead" || event.action != "status_changed" {
        return None;
    }
    let partner_id = event.partner_id.as_deref().filter(|p| !p.is_empty())?;
    // A ChiliPiper change wraps the lead's summary with its meeting.
    let status_of = |side: &Value| side.get("lead").unwrap_or(side)["dealStatus"].clone();
    Some(BusEvent {
        detail_type: "stage-updated".into(),
        detail: json!({
            "leadId": event.entity_id,
            "partnerId": partner_id,
            "dealStatus": status_of(&event.after),
            "previousStatus": status_of(&event.before),
            "changedAt": timestamp(event.at),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn audit(action: &str, partner: Option<&str>, after: Value) -> AuditEvent {
        AuditEvent {
            id: "a1".into(),
            user_id: None,
            user_name: None,
            action: action.into(),
            entity: "lead".into(),
            entity_id: "L1".into(),
            partner_id: partner.map(str::to_owned),
            before: json!({"dealStatus": "new"}),
            after,
            at: Utc::now(),
        }
    }

    #[test]
    fn a_status_change_names_the_lead_its_partner_and_both_statuses() {
        let event = stage_updated(&audit(
            "status_changed",
            Some("P"),
            json!({"lead": {"dealStatus": "won"}}),
        ))
        .unwrap();
        assert_eq!(event.detail_type, "stage-updated");
        assert_eq!(event.detail["leadId"], "L1");
        assert_eq!(event.detail["partnerId"], "P");
        assert_eq!(event.detail["dealStatus"], "won");
        assert_eq!(event.detail["previousStatus"], "new");
    }

    #[test]
    fn other_changes_and_partnerless_leads_publish_nothing() {
        let after = json!({"dealStatus": "new"});
        assert!(stage_updated(&audit("updated", Some("P"), after.clone())).is_none());
        assert!(stage_updated(&audit("status_changed", None, after)).is_none());
    }
}
