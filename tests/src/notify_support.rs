//! Seeding for the notify scenarios: partners, their users and leads with
//! meetings in the past or future, written through the capabilities' own
//! store functions on the app's context (works on every backend), plus
//! small readers of the mails the reminders send.

use chrono::{DateTime, Utc};
use serde_json::Value;

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_accounts::users_store::create_user;
use pc_http::identity::{Role, UserRecord};
use pc_leads::lead::{Contact, LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_leads::{DealStatus, LeadSource};
use pc_platform::store::Condition;

use crate::TestApp;

pub use pc_notify;

/// An RFC 3339 instant.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .to_utc()
}

/// Stores an active partner named `name` (id = slug = `name` lowercased),
/// with lead reminders on or off.
pub async fn seed_partner(app: &TestApp, name: &str, reminders: bool) -> String {
    let id = name.to_lowercase();
    let now = app.server.context.clock.now();
    let mut partner = PartnerRecord::new_active(&id, name, &id, now);
    partner.notification_preferences.email.lead_reminder = reminders;
    let item = partner_item(&partner).expect("a partner item");
    app.server
        .context
        .store
        .put(item, Some(Condition::NotExists))
        .await
        .expect("partner stored");
    id
}

/// Stores a user of `partner_id` (id = the part of the email before `@`).
pub async fn seed_user(app: &TestApp, partner_id: &str, email: &str, active: bool) -> String {
    let id = email.split('@').next().unwrap_or(email).to_owned();
    let now = app.server.context.clock.now();
    let user = UserRecord {
        id: id.clone(),
        email: email.to_lowercase(),
        name: format!("User {id}"),
        role: Role::User,
        partner_id: Some(partner_id.to_owned()),
        is_active: active,
        is_partner_owner: false,
        password_hash: None,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    create_user(app.server.context.store.as_ref(), &user)
        .await
        .expect("user stored");
    id
}

/// Stores a lead of `partner_id` whose latest meeting starts at
/// `scheduled` (`None`: no meeting), in `status`, last updated at `updated`.
pub async fn seed_lead(
    app: &TestApp,
    partner_id: &str,
    email: &str,
    company: &str,
    scheduled: Option<&str>,
    status: DealStatus,
    updated: &str,
) -> String {
    let email = LeadEmail::parse(email).expect("a lead email");
    let id = format!("lead-{}", email.as_str().replace(['@', '.'], "-"));
    let mut lead = LeadRecord::new(
        id.clone(),
        partner_id.to_owned(),
        email,
        LeadSource::Manual,
        at(updated),
    );
    lead.contact = Contact {
        company: Some(company.to_owned()),
        ..Contact::default()
    };
    lead.deal_status = status;
    lead.scheduled_date = scheduled.map(at);
    if let Some(start) = scheduled {
        lead.meeting_starts
            .insert(format!("m-{id}"), start.to_owned());
    }
    leads_store::create(app.server.context.store.as_ref(), &lead)
        .await
        .expect("lead stored");
    id
}

/// The mails sent to `to` so far whose subject contains `subject`.
pub async fn mails_to(app: &TestApp, to: &str, subject: &str) -> Vec<Value> {
    app.mailbox()
        .await
        .into_iter()
        .filter(|m| {
            m["to"].as_str() == Some(to)
                && m["subject"].as_str().is_some_and(|s| s.contains(subject))
        })
        .collect()
}

/// The magic token in a reminder's text (`…/leads?magic=<token>`).
pub fn magic_token(mail: &Value) -> String {
    let text = mail["text"].as_str().expect("a text body");
    let start = text.find("magic=").expect("a magic link in the mail") + "magic=".len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("a token")
        .to_owned()
}
