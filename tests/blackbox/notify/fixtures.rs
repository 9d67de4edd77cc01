//! The reminder world (partners with overdue, future and muted leads) and
//! a wait for reminder mails, shared by the reminder and magic-link
//! scenarios.

use pc_leads::DealStatus;
use pc_tests::notify_support::{mails_to, seed_lead, seed_partner, seed_user};
use pc_tests::{TestApp, wait_until};

/// Two partners with overdue leads, one with only future meetings, one that
/// turned reminders off. Answers nothing: the scenarios read the mailbox.
pub(super) async fn seed_reminder_world(app: &TestApp) {
    let acme = seed_partner(app, "Acme", true).await;
    seed_user(app, &acme, "ann@acme.test", true).await;
    seed_user(app, &acme, "bob@acme.test", true).await;
    seed_user(app, &acme, "gone@acme.test", false).await;
    let past = Some("2024-01-10T17:00:00Z");
    let updated = "2024-01-12T18:00:00Z";
    seed_lead(
        app,
        &acme,
        "old@lead.test",
        "Old Co",
        past,
        DealStatus::Scheduled,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "new@lead.test",
        "New Co",
        Some("2024-01-15T16:00:00Z"),
        DealStatus::New,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "won@lead.test",
        "Won Co",
        past,
        DealStatus::Won,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "lost@lead.test",
        "Lost Co",
        past,
        DealStatus::LostNoShow,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "future@lead.test",
        "Future Co",
        Some("2024-01-20T17:00:00Z"),
        DealStatus::Scheduled,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "nomeeting@lead.test",
        "Nomeeting Co",
        None,
        DealStatus::New,
        updated,
    )
    .await;

    let globex = seed_partner(app, "Globex", true).await;
    seed_user(app, &globex, "gil@globex.test", true).await;
    seed_lead(
        app,
        &globex,
        "g1@lead.test",
        "Globex Lead",
        past,
        DealStatus::InTouch,
        updated,
    )
    .await;

    let calm = seed_partner(app, "Calm", true).await;
    seed_user(app, &calm, "cal@calm.test", true).await;
    seed_lead(
        app,
        &calm,
        "later@lead.test",
        "Later Co",
        Some("2024-02-01T17:00:00Z"),
        DealStatus::Scheduled,
        updated,
    )
    .await;

    let quiet = seed_partner(app, "Quiet", false).await;
    seed_user(app, &quiet, "quinn@quiet.test", true).await;
    seed_lead(
        app,
        &quiet,
        "q1@lead.test",
        "Quiet Lead",
        past,
        DealStatus::Scheduled,
        updated,
    )
    .await;
}

/// Waits until `to` has `count` reminders (or panics naming them).
pub(super) async fn wait_for_reminders(
    app: &TestApp,
    to: &str,
    count: usize,
) -> Vec<serde_json::Value> {
    wait_until(|| async {
        let mails = mails_to(app, to, "overdue").await;
        (mails.len() >= count).then_some(mails)
    })
    .await
    .unwrap_or_else(|| panic!("{to} did not get {count} reminder(s)"))
}
