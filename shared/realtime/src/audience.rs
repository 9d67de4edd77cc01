//! Which partners an event is for, and the message their SPAs receive.
//!
//! - `lead-listed`: every partner but the seller (a new lead to buy);
//! - `lead-sold`: the seller and the buyer;
//! - `stage-updated`: the partner whose lead moved;
//! - `viewer-joined`, `viewer-left`: the seller of the lead looked at.
//!
//! Other bus events are internal and reach no SPA.

use serde_json::{Value, json};

use pc_platform::bus::BusEvent;

/// The event types SPAs receive.
pub const CLIENT_EVENTS: [&str; 5] = [
    "lead-listed",
    "lead-sold",
    "stage-updated",
    "viewer-joined",
    "viewer-left",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    Partners(Vec<String>),
    /// Every connected partner except this one.
    AllBut(String),
}

fn text(detail: &Value, field: &str) -> Option<String> {
    detail[field].as_str().map(str::to_owned)
}

/// Who receives `event`; `None` for an event no SPA sees (or one that
/// names nobody).
pub fn audience_of(event: &BusEvent) -> Option<Audience> {
    let d = &event.detail;
    let partners = |ids: Vec<Option<String>>| {
        let mut ids: Vec<String> = ids.into_iter().flatten().collect();
        ids.dedup();
        (!ids.is_empty()).then_some(Audience::Partners(ids))
    };
    match event.detail_type.as_str() {
        "lead-listed" => text(d, "sellerId").map(Audience::AllBut),
        "lead-sold" => partners(vec![text(d, "sellerId"), text(d, "buyerId")]),
        "stage-updated" => partners(vec![text(d, "partnerId")]),
        "viewer-joined" | "viewer-left" => partners(vec![text(d, "sellerId")]),
        _ => None,
    }
}

/// The message pushed: `{"type": "lead-listed", "data": {...}}`.
pub fn message_of(event: &BusEvent) -> String {
    json!({"type": event.detail_type, "data": event.detail}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, detail: Value) -> BusEvent {
        BusEvent {
            detail_type: kind.into(),
            detail,
        }
    }

    #[test]
    fn each_event_goes_to_the_partners_it_concerns() {
        let listed = event("lead-listed", json!({"sellerId": "S", "leadId": "L"}));
        assert_eq!(audience_of(&listed), Some(Audience::AllBut("S".into())));
        let sold = event("lead-sold", json!({"sellerId": "S", "buyerId": "B"}));
        assert_eq!(
            audience_of(&sold),
            Some(Audience::Partners(vec!["S".into(), "B".into()]))
        );
        let stage = event("stage-updated", json!({"partnerId": "P"}));
        assert_eq!(
            audience_of(&stage),
            Some(Audience::Partners(vec!["P".into()]))
        );
        for kind in ["viewer-joined", "viewer-left"] {
            let viewer = event(kind, json!({"sellerId": "S", "viewerPartnerId": "V"}));
            assert_eq!(
                audience_of(&viewer),
                Some(Audience::Partners(vec!["S".into()]))
            );
        }
    }

    #[test]
    fn internal_events_and_events_naming_nobody_reach_no_spa() {
        assert_eq!(audience_of(&event("job-run-requested", json!({}))), None);
        assert_eq!(audience_of(&event("lead-listed", json!({}))), None);
        assert_eq!(audience_of(&event("lead-sold", json!({}))), None);
    }

    #[test]
    fn the_message_names_its_type_and_carries_the_detail() {
        let listed = event("lead-listed", json!({"leadId": "L"}));
        let message: Value = serde_json::from_str(&message_of(&listed)).unwrap();
        assert_eq!(
            message,
            json!({"type": "lead-listed", "data": {"leadId": "L"}})
        );
    }
}
