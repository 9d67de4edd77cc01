//! The daily reminders over more partners than one page of the `PARTNERS`
//! index, run twice the same day and drained through the emails worker:
//! every partner with overdue leads is reached, once.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_accounts::users_store::create_user;
use pc_host::runner::in_flight::InFlight;
use pc_host::runner::queue::run_visible;
use pc_http::identity::{Role, UserRecord};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_leads::{DealStatus, LeadSource};
use pc_notify::lead_reminders::{PARTNERS_PAGE, send_daily_reminders};
use pc_platform::context::EmbeddedParts;
use pc_platform::email::mailbox::Mailbox;
use pc_platform::store::{Condition, Store};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn seed(store: &dyn Store, n: usize, now: DateTime<Utc>) {
    let id = format!("p{n:04}");
    let partner = PartnerRecord::new_active(&id, &format!("Partner {n}"), &id, now);
    store
        .put(partner_item(&partner).unwrap(), Some(Condition::NotExists))
        .await
        .unwrap();
    let user = UserRecord {
        id: format!("u{n:04}"),
        email: format!("user{n}@partner.test"),
        name: format!("User {n}"),
        role: Role::User,
        partner_id: Some(id.clone()),
        is_active: true,
        is_partner_owner: false,
        password_hash: None,
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    create_user(store, &user).await.unwrap();
    // Every other partner has a meeting in the past; the rest one ahead.
    let meeting = if n.is_multiple_of(2) {
        "2024-01-10T17:00:00Z"
    } else {
        "2024-02-10T17:00:00Z"
    };
    let email = LeadEmail::parse(&format!("lead{n}@example.com")).unwrap();
    let mut lead = LeadRecord::new(format!("l{n:04}"), id, email, LeadSource::Manual, now);
    lead.deal_status = DealStatus::Scheduled;
    lead.scheduled_date = Some(at(meeting));
    lead.meeting_starts.insert("m".into(), meeting.into());
    leads_store::create(store, &lead).await.unwrap();
}

#[tokio::test]
async fn every_page_of_partners_is_reached_once_a_day() {
    let parts = EmbeddedParts::in_memory();
    let ctx = parts.context.clone();
    let partners = PARTNERS_PAGE * 2 + 30;
    let seeded_at = at("2024-01-12T00:00:00Z");
    for n in 0..partners {
        seed(ctx.store.as_ref(), n, seeded_at).await;
    }

    let nine_in_la = at("2024-01-15T17:00:00Z");
    let report = send_daily_reminders(&ctx, nine_in_la).await.unwrap();
    assert_eq!(report.counts["partners"], partners as u64);
    assert_eq!(
        report.counts["partnersWithOverdueLeads"],
        (partners / 2) as u64
    );
    assert_eq!(report.counts["emailsQueued"], (partners / 2) as u64);
    assert_eq!(report.counts["errors"], 0);
    // The same day again, later: the jobs are queued again, but sent once.
    send_daily_reminders(&ctx, at("2024-01-15T23:00:00Z"))
        .await
        .unwrap();

    let functions = pc_notify::functions::all();
    while run_visible(&ctx, &parts.queue, &functions, &InFlight::default()).await > 0 {}
    let store: Arc<dyn Store> = ctx.store.clone();
    let mails = Mailbox::list(store.as_ref(), 10_000).await.unwrap();
    assert_eq!(mails.len(), partners / 2);
    let recipients: HashSet<_> = mails.iter().map(|m| m.email.to.clone()).collect();
    assert_eq!(recipients.len(), partners / 2);
    assert!(recipients.contains("user0@partner.test"));
    assert!(!recipients.contains("user1@partner.test"));
    let mail = mails
        .iter()
        .find(|m| m.email.to == "user0@partner.test")
        .unwrap();
    assert!(mail.email.text.contains("lead0@example.com"));
    assert!(mail.email.subject.contains("overdue"));
}
