//! How the worker behaves under redelivery, reordering and concurrent
//! delivery, and when a meeting changes guest or partner.

use chrono::{DateTime, Utc};
use serde_json::json;

use pc_accounts::partners_store::PartnerRecord;
use pc_http::identity::meeting_type_key;
use pc_platform::AppContext;
use pc_platform::store::from_item;
use pc_platform::time::timestamp;

use crate::deal_status::DealStatus;
use crate::lead::LeadRecord;
use crate::meetings_store::MeetingStatus;

use super::event::ChiliPiperEvent;
use super::worker::{Outcome, apply_event};
use pc_accounts::partners_store::{get_partner, partner_item};
use pc_platform::context::EmbeddedParts;
use pc_platform::store::{Index, Item, Query};

const T0: &str = "2030-03-01T15:00:00.000Z";

async fn system() -> (EmbeddedParts, String) {
    let parts = EmbeddedParts::in_memory();
    add_routed_partner(&parts.context, "P1", "Acme", "Demo").await;
    (parts, "P1".into())
}

/// An active partner to which `meeting_type` is routed.
async fn add_routed_partner(ctx: &AppContext, id: &str, name: &str, meeting_type: &str) {
    let now = ctx.clock.now();
    let partner = PartnerRecord {
        chili_meeting_types: vec![meeting_type.into()],
        ..PartnerRecord::new_active(id, name, &name.to_lowercase(), now)
    };
    ctx.store
        .put(partner_item(&partner).unwrap(), None)
        .await
        .unwrap();
    let key = meeting_type_key(meeting_type);
    let mut guard = Item::new();
    guard.insert("pk".into(), key.pk.into());
    guard.insert("sk".into(), key.sk.into());
    guard.insert("entity".into(), "meeting_type_guard".into());
    guard.insert("partnerId".into(), id.into());
    ctx.store.put(guard, None).await.unwrap();
}

/// A webhook receipt time, `seconds` after a fixed instant.
fn received(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-02-01T00:00:00Z")
        .unwrap()
        .to_utc()
        + chrono::Duration::seconds(seconds)
}

fn event(id: &str, kind: &str, minutes: i64) -> ChiliPiperEvent {
    let start =
        DateTime::parse_from_rfc3339(T0).unwrap().to_utc() + chrono::Duration::minutes(minutes);
    serde_json::from_value(json!({
        "meetingIdChili": id, "eventType": kind, "meetingTypeName": "demo",
        "startTime": start, "guests": [{"email": "Gina@Guest.example", "firstName": "Gina"}]
    }))
    .unwrap()
}

async fn leads(ctx: &AppContext) -> Vec<LeadRecord> {
    ctx.store
        .query(&Query::partition(Index::Gsi1, "PARTNER#P1#LEADS"))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| from_item(i).unwrap())
        .collect()
}

#[tokio::test]
async fn every_delivery_order_ends_in_the_same_state() {
    let create = event("m1", "created", 0);
    let moved = event("m1", "rescheduled", 60);
    let cancel = event("m1", "canceled", 60);
    let orders = [
        vec![&create, &moved, &cancel],
        vec![&create, &cancel, &moved],
        vec![&moved, &create, &cancel],
        vec![&moved, &cancel, &create],
        vec![&cancel, &create, &moved],
        vec![&cancel, &moved, &create, &cancel, &moved, &create],
    ];
    for order in orders {
        let (parts, pid) = system().await;
        let ctx = &parts.context;
        for e in &order {
            apply_event(ctx, e, received(0)).await.unwrap();
        }
        let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meeting.status, MeetingStatus::Canceled);
        assert_eq!(
            timestamp(meeting.scheduled_time),
            "2030-03-01T16:00:00.000Z"
        );
        let leads = leads(ctx).await;
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].email, "gina@guest.example");
        assert_eq!(leads[0].deal_status, DealStatus::Scheduled);
        assert_eq!(
            leads[0].scheduled_date.map(timestamp).as_deref(),
            Some("2030-03-01T16:00:00.000Z")
        );
        let partner = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
        assert_eq!((partner.total_leads, partner.total_appointments), (1, 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_make_one_lead_and_count_once() {
    let (parts, pid) = system().await;
    let ctx = parts.context.clone();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let ctx = ctx.clone();
        let e = if i % 2 == 0 {
            event("m1", "created", 0)
        } else {
            event("m2", "created", 120)
        };
        tasks.push(tokio::spawn(async move {
            apply_event(&ctx, &e, received(0)).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let leads = leads(&ctx).await;
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].meeting_starts.len(), 2);
    let partner = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
    assert_eq!((partner.total_leads, partner.total_appointments), (1, 2));
    assert_eq!(
        partner.last_appointment_date.map(timestamp).as_deref(),
        Some("2030-03-01T17:00:00.000Z")
    );
}

#[tokio::test]
async fn unknown_meeting_types_are_kept_unrouted_once() {
    let (parts, _) = system().await;
    let ctx = &parts.context;
    let mut e = event("m9", "created", 0);
    e.meeting_type_name = "Nobody".into();
    assert_eq!(
        apply_event(ctx, &e, received(0)).await.unwrap(),
        Outcome::Unrouted
    );
    assert_eq!(
        apply_event(ctx, &e, received(0)).await.unwrap(),
        Outcome::Unrouted
    );
    let kept = crate::meetings_store::unrouted_events(&*ctx.store)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(leads(ctx).await.is_empty());
}

#[tokio::test]
async fn of_two_reschedules_the_one_received_later_wins_whatever_the_delivery_order() {
    let (parts, _) = system().await;
    let ctx = &parts.context;
    apply_event(ctx, &event("m1", "created", 0), received(0))
        .await
        .unwrap();
    let first = event("m1", "rescheduled", 60);
    let second = event("m1", "rescheduled", 120);
    // The second reschedule is delivered before the first.
    apply_event(ctx, &second, received(20)).await.unwrap();
    assert_eq!(
        apply_event(ctx, &first, received(10)).await.unwrap(),
        Outcome::Unchanged
    );
    let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        timestamp(meeting.scheduled_time),
        "2030-03-01T17:00:00.000Z"
    );
    assert_eq!(meeting.last_received_at, Some(received(20)));
    let leads = leads(ctx).await;
    assert_eq!(
        leads[0].scheduled_date.map(timestamp).as_deref(),
        Some("2030-03-01T17:00:00.000Z")
    );
}

#[tokio::test]
async fn a_meeting_whose_guest_changed_moves_to_the_new_lead_with_its_counters() {
    let (parts, pid) = system().await;
    let ctx = &parts.context;
    // A second partner routes "Sales"; the meeting moves there too.
    add_routed_partner(ctx, "P2", "Other", "Sales").await;

    apply_event(ctx, &event("m1", "created", 0), received(0))
        .await
        .unwrap();
    let mut moved = event("m1", "updated", 30);
    moved.guests[0].email = Some("yves@other.example".into());
    apply_event(ctx, &moved, received(10)).await.unwrap();
    let p1_leads = leads(ctx).await;
    assert_eq!(p1_leads.len(), 2);
    let x = p1_leads
        .iter()
        .find(|l| l.email == "gina@guest.example")
        .unwrap();
    assert_eq!(x.scheduled_date, None, "no meeting left on the old lead");
    assert!(x.meeting_starts.is_empty());
    let y = p1_leads
        .iter()
        .find(|l| l.email == "yves@other.example")
        .unwrap();
    assert_eq!(
        y.scheduled_date.map(timestamp).as_deref(),
        Some("2030-03-01T15:30:00.000Z")
    );

    let mut rerouted = event("m1", "updated", 45);
    rerouted.guests[0].email = Some("zoe@else.example".into());
    rerouted.meeting_type_name = "Sales".into();
    apply_event(ctx, &rerouted, received(20)).await.unwrap();
    let meeting = crate::meetings_store::get_meeting(&*ctx.store, "m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meeting.partner_id, "P2");
    let p1 = get_partner(&*ctx.store, &pid).await.unwrap().unwrap();
    let p2 = get_partner(&*ctx.store, "P2").await.unwrap().unwrap();
    assert_eq!((p1.total_leads, p1.total_appointments), (2, 0));
    assert_eq!((p2.total_leads, p2.total_appointments), (1, 1));
    let p1_leads = leads(ctx).await;
    assert!(p1_leads.iter().all(|l| l.scheduled_date.is_none()));
}
