//! Inventory sync from HubSpot: the platform seller's deals in its listed
//! stages become its leads and go on the marketplace at the pricing
//! engine's price — those that were there before the sync was turned on
//! by the `hubspot-inventory` backfill, those moved there later by
//! webhook; each deal once, however often either comes. A deal leaving
//! the stages is delisted unless reserved. The settings are the
//! partner's own.

use pc_http::identity::Role;
use pc_platform::crm::{CrmObject, ObjectType, Properties};
use pc_tests::hubspot_support::{Portal, connect, fake};
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{Side, call, get_ok, partner, reserve};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// The platform seller (created by staff) with a signed-in admin.
pub(super) async fn platform_seller(app: &TestApp) -> Side {
    app.sign_in_owner().await;
    let created = expect_json(
        app.post(
            "/v1/partners",
            &json!({"name": "Belkins", "kind": "platform"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let partner_id = created["id"].as_str().unwrap().to_owned();
    let (admin, admin_email) = signed_in_user(app, Some(&partner_id), Role::Admin).await;
    Side {
        partner_id,
        admin,
        admin_email,
    }
}

pub(super) fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

/// A HubSpot user creates a contact, then a deal in `stage` with it.
pub(super) async fn deal_with_contact(
    app: &TestApp,
    portal: &Portal,
    contact: &[(&str, &str)],
    stage: &str,
) -> CrmObject {
    let hubspot = fake(app);
    let contact = hubspot
        .user_create(&portal.portal_id, ObjectType::Contacts, props(contact), &[])
        .await
        .expect("contact created");
    hubspot
        .user_create(
            &portal.portal_id,
            ObjectType::Deals,
            props(&[
                ("dealname", "Lost deal"),
                ("dealstage", stage),
                ("amount", "12000"),
            ]),
            &[contact.id],
        )
        .await
        .expect("deal created")
}

pub(super) async fn put_inventory(
    app: &TestApp,
    side: &Side,
    partner_id: &str,
    body: Value,
) -> pc_tests::reqwest::Response {
    let path = format!("/v1/partners/{partner_id}/inventory");
    call(app, &side.admin, Method::PUT, &path, &body).await
}

/// The seller's listings by lead email.
pub(super) async fn listings(app: &TestApp, seller: &Side) -> Vec<Value> {
    let mine = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    mine["list"].as_array().cloned().unwrap_or_default()
}

pub(super) fn listing_of<'a>(listings: &'a [Value], email: &str) -> &'a Value {
    listings
        .iter()
        .find(|l| l["email"] == email)
        .unwrap_or_else(|| panic!("no listing of {email}: {listings:?}"))
}

async fn lead_count(app: &TestApp, seller: &Side) -> u64 {
    let leads = get_ok(app, &seller.admin, "/v1/leads").await;
    leads["meta"]["total"].as_u64().expect("a total")
}

const RICH: &[(&str, &str)] = &[
    ("email", "cto@lostdeal.example"),
    ("firstname", "Rita"),
    ("lastname", "Rich"),
    ("company", "Lost Deal Software"),
    ("jobtitle", "CTO"),
    ("phone", "+1 555 010 2030"),
    ("industry", "Software"),
    ("numemployees", "51-200"),
    ("country", "United States"),
    ("website", "https://lostdeal.example"),
];

scenario!(
    lost_deals_arrive_once_by_backfill_and_webhook_and_are_listed,
    |app| {
        let seller = platform_seller(app).await;
        let portal = connect(app, &seller.partner_id).await;

        // A closed-lost deal from before the inventory sync was turned on:
        // its creation event finds nothing to do.
        deal_with_contact(app, &portal, RICH, "closedlost").await;
        app.drain().await;
        assert_eq!(lead_count(app, &seller).await, 0);

        // Unknown stages are named; then the sync is turned on.
        let refused = expect_json(
        put_inventory(app, &seller, &seller.partner_id, json!({"enabled": true, "stageIds": ["closedlost", "nosuchstage"], "autoList": true})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
        assert_eq!(
            refused["error"]["details"][0]["field"], "stageIds[1]",
            "{refused}"
        );
        assert!(refused.to_string().contains("nosuchstage"));
        let saved = expect_json(
            put_inventory(
                app,
                &seller,
                &seller.partner_id,
                json!({"enabled": true, "stageIds": ["closedlost"], "autoList": true}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            saved,
            json!({"enabled": true, "stageIds": ["closedlost"], "autoList": true})
        );
        let read = get_ok(
            app,
            &seller.admin,
            &format!("/v1/partners/{}/inventory", seller.partner_id),
        )
        .await;
        assert_eq!(read, saved);

        // The backfill takes the old deal.
        let run = app.run_job("hubspot-inventory").await;
        assert_eq!(run["counts"]["created"], 1, "{run}");
        assert_eq!(run["counts"]["listed"], 1, "{run}");
        app.drain().await;
        let lead = &get_ok(app, &seller.admin, "/v1/leads").await["list"][0];
        assert_eq!(lead["email"], "cto@lostdeal.example");
        assert_eq!(lead["source"], "hubspot");
        assert_eq!(lead["dealStatus"], "new");
        assert_eq!(lead["companySize"], "51-200");
        assert_eq!(lead["title"], "CTO");

        // A deal moved to closed lost arrives by webhook.
        let bare = deal_with_contact(
            app,
            &portal,
            &[("email", "someone@bare.example")],
            "appointmentscheduled",
        )
        .await;
        app.drain().await;
        assert_eq!(lead_count(app, &seller).await, 1, "not a listed stage yet");
        fake(app)
            .user_update(
                &portal.portal_id,
                ObjectType::Deals,
                &bare.id,
                &props(&[("dealstage", "closedlost")]),
            )
            .await
            .unwrap()
            .unwrap();
        app.drain().await;
        assert_eq!(lead_count(app, &seller).await, 2);

        // Both listed at the pricing engine's price: the rich profile above the bare email.
        let listed = listings(app, &seller).await;
        let rich = listing_of(&listed, "cto@lostdeal.example");
        let bare_listing = listing_of(&listed, "someone@bare.example");
        assert_eq!(rich["marketplaceStatus"], "listed");
        assert_eq!(bare_listing["marketplaceStatus"], "listed");
        assert_eq!(rich["listingPriceCents"], rich["suggestedPriceCents"]);
        assert!(
            rich["listingPriceCents"].as_i64() > bare_listing["listingPriceCents"].as_i64(),
            "{rich} vs {bare_listing}"
        );

        // HubSpot redelivers every batch; the backfill runs again: nothing new.
        let hubspot = fake(app);
        for batch in hubspot.sent_batches(&portal.portal_id).await.unwrap() {
            hubspot
                .redeliver(&portal.portal_id, &batch.batch_id)
                .await
                .unwrap();
        }
        app.drain().await;
        let again = app.run_job("hubspot-inventory").await;
        assert_eq!(again["counts"]["created"], 0, "{again}");
        app.drain().await;
        assert_eq!(lead_count(app, &seller).await, 2);
        assert_eq!(listings(app, &seller).await.len(), 2);
    }
);

scenario!(
    a_deal_leaving_the_stage_is_delisted_unless_reserved,
    |app| {
        let seller = platform_seller(app).await;
        let buyer = partner(app, "Buyer").await;
        let portal = connect(app, &seller.partner_id).await;
        expect_json(
            put_inventory(
                app,
                &seller,
                &seller.partner_id,
                json!({"enabled": true, "stageIds": ["closedlost"], "autoList": true}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let kept = deal_with_contact(
            app,
            &portal,
            &[("email", "kept@lost.example"), ("company", "Kept")],
            "closedlost",
        )
        .await;
        let gone = deal_with_contact(
            app,
            &portal,
            &[("email", "gone@lost.example"), ("company", "Gone")],
            "closedlost",
        )
        .await;
        app.drain().await;
        let listed = listings(app, &seller).await;
        assert_eq!(listed.len(), 2, "{listed:?}");
        let kept_lead = listing_of(&listed, "kept@lost.example")["leadId"]
            .as_str()
            .unwrap()
            .to_owned();
        reserve(app, &buyer, &kept_lead).await;

        for deal in [&kept, &gone] {
            fake(app)
                .user_update(
                    &portal.portal_id,
                    ObjectType::Deals,
                    &deal.id,
                    &props(&[("dealstage", "closedwon")]),
                )
                .await
                .unwrap()
                .unwrap();
        }
        app.drain().await;
        let after = listings(app, &seller).await;
        assert_eq!(
            listing_of(&after, "gone@lost.example")["marketplaceStatus"],
            "delisted"
        );
        assert_eq!(
            listing_of(&after, "kept@lost.example")["marketplaceStatus"],
            "reserved"
        );
    }
);

scenario!(inventory_settings_are_the_partners_own, |app| {
    let seller = platform_seller(app).await;
    connect(app, &seller.partner_id).await;
    let other = partner(app, "Other Agency").await;
    let theirs = format!("/v1/partners/{}/inventory", seller.partner_id);
    expect_json(
        call(app, &other.admin, Method::GET, &theirs, &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        put_inventory(
            app,
            &other,
            &seller.partner_id,
            json!({"enabled": true, "stageIds": ["closedlost"], "autoList": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Without HubSpot there is nothing to take deals from.
    let unconnected = expect_json(
        put_inventory(
            app,
            &other,
            &other.partner_id,
            json!({"enabled": true, "stageIds": ["closedlost"], "autoList": false}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(unconnected["error"]["code"], "hubspot_not_connected");
    let read = get_ok(app, &seller.admin, &theirs).await;
    assert_eq!(read["enabled"], false);
});
