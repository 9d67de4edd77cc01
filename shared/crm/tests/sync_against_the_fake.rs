//! The sync's page and the webhook worker against the fake HubSpot of the
//! embedded parts: a page creates each lead's contact and deal once
//! (again on redelivery: no second deal), a rate limit stops the page
//! without losing anything, changes travel both ways, a field changed on
//! both sides becomes a conflict, and webhook events apply once, in
//! order.

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_crm::connection::ConnectionRecord;
use pc_crm::hubspot_fields::ObjectKind;
use pc_crm::links_store::{get_record, lead_of_object};
use pc_crm::stage_mapping::StageMapping;
use pc_crm::sync_pages::{PageError, PageScope, sync_leads};
use pc_crm::token_cipher::TokenCipher;
use pc_crm::webhook_events::{HubspotEvent, apply_event};
use pc_leads::DealStatus;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_leads::referral_commission::ChangedBy;
use pc_platform::EmbeddedParts;
use pc_platform::crm::{AccessToken, CrmClient, CrmError, ObjectType, Properties};

const REDIRECT: &str = "http://127.0.0.1:3000/v1/integrations/hubspot/callback";

struct World {
    parts: EmbeddedParts,
    token: AccessToken,
    portal: String,
    pipeline: String,
    mapping: StageMapping,
    leads: Vec<String>,
}

impl World {
    fn scope(&self) -> PageScope<'_> {
        PageScope {
            token: &self.token,
            partner_id: "P1",
            portal_id: &self.portal,
            pipeline_id: &self.pipeline,
            mapping: &self.mapping,
        }
    }

    async fn sync(&self) -> Result<pc_crm::sync_tasks::PageCounts, PageError> {
        sync_leads(&self.parts.context, &self.scope(), &self.leads).await
    }

    async fn deals(&self) -> Vec<pc_platform::crm::CrmObject> {
        self.parts
            .hubspot
            .objects(&self.portal, ObjectType::Deals)
            .await
            .unwrap()
    }

    async fn lead(&self, i: usize) -> LeadRecord {
        leads_store::get(&*self.parts.context.store, &self.leads[i])
            .await
            .unwrap()
            .unwrap()
    }
}

async fn world(leads: usize) -> World {
    let parts = EmbeddedParts::in_memory();
    let ctx = parts.context.clone();
    let now = ctx.clock.now();
    let partner = PartnerRecord::new_active("P1", "Acme", "acme", now);
    ctx.store
        .put(partner_item(&partner).unwrap(), None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..leads {
        let email = LeadEmail::parse(&format!("lead{i}@example.com")).unwrap();
        let mut lead = LeadRecord::new(
            ctx.ids.new_id(),
            "P1".into(),
            email,
            LeadSource::Manual,
            now,
        );
        lead.contact.first_name = Some(format!("First{i}"));
        lead.contact.company = Some(format!("Company {i}"));
        leads_store::create(&*ctx.store, &lead).await.unwrap();
        ids.push(lead.id);
    }
    let hubspot = parts.hubspot.clone();
    let (portal, code) = hubspot.consent(REDIRECT, None).await.unwrap();
    let tokens = hubspot.exchange_code(&code, REDIRECT).await.unwrap();
    let pipeline = hubspot
        .create_pipeline(&tokens.access_token, &pc_crm::pipeline::new_pipeline())
        .await
        .unwrap();
    // The partner's stored connection, as the OAuth callback and pipeline
    // creation leave it.
    let cipher = TokenCipher::from_config(&ctx.config).unwrap();
    let mut connection =
        ConnectionRecord::new(&cipher, "P1", portal.clone(), vec![], &tokens, "U1", now);
    connection.pipeline_id = Some(pipeline.id.clone());
    connection.pipeline_stages = pc_crm::pipeline::created_stages(&pipeline.stages);
    ctx.store
        .put(connection.item().unwrap(), None)
        .await
        .unwrap();
    World {
        mapping: StageMapping::with_created(&pipeline.stages, &connection.pipeline_stages),
        pipeline: pipeline.id,
        token: tokens.access_token,
        portal,
        leads: ids,
        parts,
    }
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

#[tokio::test]
async fn a_page_creates_each_deal_once_even_when_delivered_again() {
    let w = world(5).await;
    let counts = w.sync().await.unwrap();
    assert_eq!((counts.synced, counts.failed, counts.conflicts), (5, 0, 0));
    let deals = w.deals().await;
    assert_eq!(deals.len(), 5);
    let contacts = w
        .parts
        .hubspot
        .objects(&w.portal, ObjectType::Contacts)
        .await
        .unwrap();
    assert_eq!(contacts.len(), 5);
    assert_eq!(
        w.parts.hubspot.associations(&w.portal).await.unwrap().len(),
        5
    );
    let lead = w.lead(0).await;
    let record = get_record(&*w.parts.context.store, &lead.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.hubspot_deal_id, record.deal_id);
    assert_eq!(lead.hubspot_contact_id, record.contact_id);
    // Both objects lead back to the lead, so either one's webhook finds it.
    for (kind, id) in [
        (ObjectKind::Contact, record.contact_id.as_deref().unwrap()),
        (ObjectKind::Deal, record.deal_id.as_deref().unwrap()),
    ] {
        let linked = lead_of_object(&*w.parts.context.store, &w.portal, kind, id)
            .await
            .unwrap();
        assert_eq!(
            linked.map(|(lead_id, _)| lead_id),
            Some(lead.id.clone()),
            "{kind:?}"
        );
    }
    // Redelivered: nothing new in HubSpot.
    w.sync().await.unwrap();
    assert_eq!(w.deals().await.len(), 5);
}

#[tokio::test]
async fn a_page_stopped_after_asking_for_deals_finds_them_instead_of_creating_more() {
    let w = world(3).await;
    let ctx = &w.parts.context;
    // A first try noted its request and HubSpot created the deals, but
    // the try stopped before recording them: simulate by creating the
    // deals as that try would have, with the lead ids, after noting.
    w.sync().await.unwrap();
    for id in &w.leads {
        let mut record = get_record(&*ctx.store, id).await.unwrap().unwrap();
        let before = record.clone();
        record.deal_id = None;
        record.last_synced_at = None;
        ctx.store
            .transact(vec![
                pc_crm::links_store::record_write(Some(&before), &record).unwrap(),
            ])
            .await
            .unwrap();
    }
    w.sync().await.unwrap();
    assert_eq!(
        w.deals().await.len(),
        3,
        "the deals were found, not created again"
    );
    let record = get_record(&*ctx.store, &w.leads[0]).await.unwrap().unwrap();
    assert!(record.deal_id.is_some());
}

#[tokio::test]
async fn a_rate_limit_stops_the_page_and_a_later_try_completes_it_once() {
    let w = world(4).await;
    w.parts
        .hubspot
        .set_rate_limit(&w.portal, Some(1))
        .await
        .unwrap();
    match w.sync().await {
        Err(PageError::Crm(CrmError::RateLimited { .. })) => {}
        other => panic!("expected a rate limit, got {other:?}"),
    }
    w.parts
        .hubspot
        .set_rate_limit(&w.portal, None)
        .await
        .unwrap();
    let counts = w.sync().await.unwrap();
    assert_eq!(counts.synced, 4);
    assert_eq!(w.deals().await.len(), 4);
}

#[tokio::test]
async fn changes_travel_both_ways_and_both_sides_changed_is_a_conflict() {
    let w = world(2).await;
    let ctx = &w.parts.context;
    w.sync().await.unwrap();
    let (a, b) = (w.lead(0).await, w.lead(1).await);
    // Lead 0: we rename; HubSpot changes the company. Lead 1: both change the first name.
    let mut renamed = a.clone();
    renamed.contact.first_name = Some("Renamed".into());
    renamed.version += 1;
    leads_store::update(&*ctx.store, &a, &renamed, ChangedBy::Partner)
        .await
        .unwrap();
    let contact_a = a.hubspot_contact_id.clone().unwrap();
    w.parts
        .hubspot
        .user_update(
            &w.portal,
            ObjectType::Contacts,
            &contact_a,
            &props(&[("company", "Theirs Inc")]),
        )
        .await
        .unwrap();
    let mut ours_b = b.clone();
    ours_b.contact.first_name = Some("Ours".into());
    ours_b.version += 1;
    leads_store::update(&*ctx.store, &b, &ours_b, ChangedBy::Partner)
        .await
        .unwrap();
    let contact_b = b.hubspot_contact_id.clone().unwrap();
    w.parts
        .hubspot
        .user_update(
            &w.portal,
            ObjectType::Contacts,
            &contact_b,
            &props(&[("firstname", "Theirs")]),
        )
        .await
        .unwrap();

    let counts = w.sync().await.unwrap();
    assert_eq!(counts.conflicts, 1);
    let a = w.lead(0).await;
    assert_eq!(a.contact.company.as_deref(), Some("Theirs Inc"));
    let contact = w
        .parts
        .hubspot
        .object(&w.portal, ObjectType::Contacts, &contact_a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        contact.properties.get("firstname").map(String::as_str),
        Some("Renamed")
    );
    let record_b = get_record(&*ctx.store, &b.id).await.unwrap().unwrap();
    assert!(record_b.open_conflicts.contains_key("firstName"));
    assert_eq!(w.lead(1).await.contact.first_name.as_deref(), Some("Ours"));
}

fn event(
    id: i64,
    portal: &str,
    kind: ObjectKind,
    object: &str,
    at: i64,
    property: &str,
    value: &str,
) -> HubspotEvent {
    serde_json::from_value(serde_json::json!({
        "eventId": id, "portalId": portal.parse::<i64>().unwrap(), "objectId": object.parse::<i64>().unwrap_or(0),
        "occurredAt": at, "subscriptionType": format!("{}.propertyChange", kind.as_str()),
        "propertyName": property, "propertyValue": value,
    }))
    .unwrap()
}

#[tokio::test]
async fn webhook_events_apply_once_and_an_older_one_never_overwrites() {
    let w = world(1).await;
    let ctx = &w.parts.context;
    w.sync().await.unwrap();
    let lead = w.lead(0).await;
    let deal = lead.hubspot_deal_id.clone().unwrap();
    let won = w.mapping.stage_of_name("won");
    let in_touch = w.mapping.stage_of_name("in_touch").unwrap();
    let now = ctx.clock.now().timestamp_millis();
    let newer = event(
        10,
        &w.portal,
        ObjectKind::Deal,
        &deal,
        now + 2_000,
        "dealstage",
        &in_touch,
    );
    let older = event(
        11,
        &w.portal,
        ObjectKind::Deal,
        &deal,
        now + 1_000,
        "dealstage",
        won.as_deref().unwrap_or("x"),
    );
    assert_eq!(apply_event(ctx, &newer).await.unwrap(), "applied");
    assert_eq!(apply_event(ctx, &newer).await.unwrap(), "already applied");
    assert_eq!(
        apply_event(ctx, &older).await.unwrap(),
        "older than the applied change"
    );
    let lead = w.lead(0).await;
    assert_eq!(lead.deal_status, DealStatus::InTouch);
    let amount = event(
        12,
        &w.portal,
        ObjectKind::Deal,
        &deal,
        now + 3_000,
        "amount",
        "1250.5",
    );
    apply_event(ctx, &amount).await.unwrap();
    assert_eq!(w.lead(0).await.deal_amount_cents, Some(125_050));
    let unknown = event(
        13,
        &w.portal,
        ObjectKind::Deal,
        "424242",
        now,
        "amount",
        "1",
    );
    assert_eq!(apply_event(ctx, &unknown).await.unwrap(), "not linked");
}
