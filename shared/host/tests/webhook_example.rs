//! The delivery example and the worked signature example of
//! docs/webhooks.md are what the code sends: the body is made here by the
//! same steps a created lead's delivery takes (the lead's summary, its audit
//! event, the partner event, the delivery body) and signed with the
//! documented secret and time.

use chrono::{DateTime, Utc};

use pc_activities::audit_sources::partner_event_of;
use pc_http::audit::AuditEvent;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_webhooks::fan_out::delivery_body;
use pc_webhooks::signing::signature_header;

const DOCS: &str = include_str!("../../../docs/webhooks.md");
const SECRET: &str = "whsec_5f3c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
const T: i64 = 1_767_225_600;

/// The body a partner receives when Ann creates lead `01JGZ8Y2Q4M6N8P0R2T4V6X8Z1`.
fn created_lead_body() -> String {
    let at: DateTime<Utc> = DateTime::from_timestamp(T, 0).unwrap();
    let mut lead = LeadRecord::new(
        "01JGZ8Y2Q4M6N8P0R2T4V6X8Z1".into(),
        "01JGZ8Y2Q4M6N8P0R2T4V6X8Z2".into(),
        LeadEmail::parse("lee@acme.example").unwrap(),
        LeadSource::Manual,
        at,
    );
    lead.contact.first_name = Some("Lee".into());
    lead.contact.last_name = Some("Chen".into());
    lead.contact.company = Some("Acme".into());
    let audit = AuditEvent {
        id: "01JGZ8Y2Q4M6N8P0R2T4V6X8Z0".into(),
        user_id: Some("01JGZ8Y2Q4M6N8P0R2T4V6X8Z3".into()),
        user_name: Some("Ann Admin".into()),
        action: "created".into(),
        entity: "lead".into(),
        entity_id: lead.id.clone(),
        partner_id: Some(lead.partner_id.clone()),
        before: serde_json::Value::Null,
        after: lead.summary(),
        at,
    };
    delivery_body(&partner_event_of(&audit).expect("a lead's creation concerns its partner"))
}

/// The line of the docs that starts with `prefix`, without it.
fn documented(prefix: &str) -> &'static str {
    DOCS.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("docs/webhooks.md has no line starting {prefix:?}"))
}

#[test]
fn the_documented_delivery_is_what_a_created_lead_sends() {
    let body = created_lead_body();
    let signature = signature_header(SECRET, T, body.as_bytes());
    assert_eq!(
        documented("{\"data\":"),
        body.strip_prefix("{\"data\":").unwrap(),
        "the delivery example's body; it should be:\n{body}"
    );
    assert_eq!(
        documented("X-PC-Signature: "),
        signature,
        "the delivery example's signature"
    );
    let row = |name: &str| {
        documented(&format!("| {name} | `"))
            .trim_end_matches(" |")
            .trim_end_matches('`')
    };
    assert_eq!(row("secret"), SECRET);
    assert_eq!(row("body"), body, "the worked example's body");
    assert_eq!(
        format!("t={T},v1={}", row("`v1`")),
        signature,
        "the worked example's v1"
    );
}
