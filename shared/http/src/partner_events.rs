//! Partner events: what happened that concerns one or more partners, in the
//! one vocabulary partners see. Each becomes an activity in the app for every
//! partner concerned, and a signed webhook delivery for each of those
//! partners whose webhook subscribes to its type.
//!
//! An event travels on the `webhook-deliveries` queue as this JSON object
//! (the fan-out message); its `id` is unique per change, so consumers apply
//! it once however often it arrives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_platform::queue::{Message, QueueName};
use pc_platform::time::serde_millis;

/// Every event type, in the names webhooks subscribe to and receive.
pub const EVENT_TYPES: &[&str] = &[
    "lead.created",
    "lead.updated",
    "lead.status_changed",
    "lead.note_added",
    "meeting.booked",
    "meeting.rescheduled",
    "meeting.cancelled",
    "marketplace.lead_listed",
    "marketplace.lead_matched",
    "marketplace.lead_reserved",
    "marketplace.lead_purchased",
    "marketplace.lead_sold",
    "invoice.created",
    "invoice.paid",
    "invoice.payment_failed",
];

/// A subscription to every event type, present and future.
pub const ALL_EVENTS: &str = "*";

/// One event and the partners it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerEvent {
    /// Unique per change; derived from the source's own id where there is one,
    /// so a redelivered source produces the same event.
    pub id: String,
    /// One of [`EVENT_TYPES`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// The partners concerned (a buyer and a seller, say); never empty.
    pub partner_ids: Vec<String>,
    #[serde(with = "serde_millis")]
    pub occurred_at: DateTime<Utc>,
    /// The event's subject as partners may see it (ids, names, statuses,
    /// amounts); never another partner's private fields.
    pub data: Value,
}

/// The fan-out message of `webhook-deliveries`.
impl Message for PartnerEvent {
    const QUEUE: QueueName = QueueName::WebhookDeliveries;
}

/// Whether `name` is a known event type or the wildcard.
pub fn is_subscribable(name: &str) -> bool {
    name == ALL_EVENTS || EVENT_TYPES.contains(&name)
}

/// Whether a subscription to `subscribed` covers `event_type`.
pub fn subscribes_to(subscribed: &[String], event_type: &str) -> bool {
    subscribed
        .iter()
        .any(|name| name == ALL_EVENTS || name == event_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_wildcard_covers_every_type_and_names_only_their_own() {
        let all = vec![ALL_EVENTS.to_owned()];
        let some = vec!["lead.created".to_owned()];
        assert!(EVENT_TYPES.iter().all(|t| subscribes_to(&all, t)));
        assert!(subscribes_to(&some, "lead.created"));
        assert!(!subscribes_to(&some, "lead.status_changed"));
        assert!(is_subscribable("*") && is_subscribable("invoice.paid"));
        assert!(!is_subscribable("lead.*") && !is_subscribable("lead-listed"));
    }

    #[test]
    fn travels_as_camel_case_json_with_a_type_field() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = PartnerEvent {
            id: "evt-1".into(),
            event_type: "lead.created".into(),
            partner_ids: vec!["p1".into()],
            occurred_at: at,
            data: json!({"leadId": "l1"}),
        };
        let wire = serde_json::to_value(&event).unwrap();
        assert_eq!(wire["type"], "lead.created");
        assert_eq!(wire["partnerIds"], json!(["p1"]));
        assert_eq!(wire["occurredAt"], "2026-11-22T10:00:00.000Z");
        assert_eq!(serde_json::from_value::<PartnerEvent>(wire).unwrap(), event);
    }
}
