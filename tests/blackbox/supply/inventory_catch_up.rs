//! The inventory sync catching up on what was lost on the way: a deal that
//! left the listed stages while HubSpot lost its webhook is delisted by
//! the `hubspot-inventory` backfill, and relisted when it returns (by the
//! backfill or by webhook) — but never a lead its seller delisted by hand;
//! a batch's listing notice survives a run that stopped before sending it.

use pc_platform::crm::ObjectType;
use pc_platform::queue::QueueName;
use pc_tests::hubspot_support::{Portal, connect, fake};
use pc_tests::market_support::{Side, call};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

use super::inventory::{
    deal_with_contact, listing_of, listings, platform_seller, props, put_inventory,
};

async fn inventory_on(app: &TestApp, seller: &Side) {
    expect_json(
        put_inventory(
            app,
            seller,
            &seller.partner_id,
            json!({"enabled": true, "stageIds": ["closedlost"], "autoList": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

async fn move_deal(app: &TestApp, portal: &Portal, deal_id: &str, stage: &str) {
    fake(app)
        .user_update(
            &portal.portal_id,
            ObjectType::Deals,
            deal_id,
            &props(&[("dealstage", stage)]),
        )
        .await
        .unwrap()
        .unwrap();
}

async fn status_of(app: &TestApp, seller: &Side, email: &str) -> Value {
    listing_of(&listings(app, seller).await, email)["marketplaceStatus"].clone()
}

scenario!(
    a_deal_that_left_unheard_is_delisted_by_the_backfill_and_relisted_when_back,
    |app| {
        let seller = platform_seller(app).await;
        let portal = connect(app, &seller.partner_id).await;
        inventory_on(app, &seller).await;
        let away = deal_with_contact(
            app,
            &portal,
            &[("email", "away@lost.example"), ("company", "Away")],
            "closedlost",
        )
        .await;
        let by_hand = deal_with_contact(
            app,
            &portal,
            &[("email", "hand@lost.example"), ("company", "Hand")],
            "closedlost",
        )
        .await;
        app.drain().await;
        let listed = listings(app, &seller).await;
        assert_eq!(listed.len(), 2, "{listed:?}");
        let away_price = listing_of(&listed, "away@lost.example")["listingPriceCents"].clone();
        // The seller takes one off the market by hand.
        let hand_lead = listing_of(&listed, "hand@lost.example")["leadId"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/v1/marketplace/leads/{hand_lead}/list");
        expect_json(
            call(app, &seller.admin, Method::DELETE, &path, &json!({})).await,
            StatusCode::OK,
        )
        .await;

        // Both deals leave the stage; HubSpot loses the webhooks.
        fake(app)
            .set_webhooks_lost(&portal.portal_id, true)
            .await
            .unwrap();
        move_deal(app, &portal, &away.id, "closedwon").await;
        move_deal(app, &portal, &by_hand.id, "closedwon").await;
        app.drain().await;
        assert_eq!(status_of(app, &seller, "away@lost.example").await, "listed");

        // The backfill finds the deal that left and delists its lead, once.
        let run = app.run_job("hubspot-inventory").await;
        assert_eq!(run["counts"]["delisted"], 1, "{run}");
        app.drain().await;
        assert_eq!(
            status_of(app, &seller, "away@lost.example").await,
            "delisted"
        );
        let again = app.run_job("hubspot-inventory").await;
        assert_eq!(again["counts"]["delisted"], 0, "{again}");

        // Both deals come back, still unheard: the backfill relists the
        // lead it delisted, at the suggested price; the seller's stays off.
        move_deal(app, &portal, &away.id, "closedlost").await;
        move_deal(app, &portal, &by_hand.id, "closedlost").await;
        app.drain().await;
        let run = app.run_job("hubspot-inventory").await;
        assert_eq!(run["counts"]["relisted"], 1, "{run}");
        assert_eq!(run["counts"]["created"], 0, "{run}");
        app.drain().await;
        let after = listings(app, &seller).await;
        let relisted = listing_of(&after, "away@lost.example");
        assert_eq!(relisted["marketplaceStatus"], "listed");
        assert_eq!(relisted["listingPriceCents"], away_price);
        assert_eq!(
            listing_of(&after, "hand@lost.example")["marketplaceStatus"],
            "delisted"
        );
        let again = app.run_job("hubspot-inventory").await;
        assert_eq!(again["counts"]["relisted"], 0, "{again}");

        // With webhooks delivered again, the live path does the same.
        fake(app)
            .set_webhooks_lost(&portal.portal_id, false)
            .await
            .unwrap();
        move_deal(app, &portal, &away.id, "closedwon").await;
        move_deal(app, &portal, &by_hand.id, "closedwon").await;
        app.drain().await;
        assert_eq!(
            status_of(app, &seller, "away@lost.example").await,
            "delisted"
        );
        move_deal(app, &portal, &away.id, "closedlost").await;
        move_deal(app, &portal, &by_hand.id, "closedlost").await;
        app.drain().await;
        assert_eq!(status_of(app, &seller, "away@lost.example").await, "listed");
        assert_eq!(
            status_of(app, &seller, "hand@lost.example").await,
            "delisted"
        );
    }
);

/// The batch notices sent so far that name `lead_id`.
fn notices_naming(sent: &[String], lead_id: &str) -> usize {
    sent.iter()
        .filter_map(|body| serde_json::from_str::<Value>(body).ok())
        .filter(|notice| {
            notice["listings"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l["leadId"] == lead_id))
        })
        .count()
}

pc_tests::faulty_scenario!(
    a_batch_notice_survives_a_run_that_stopped_before_it,
    |app, faults| {
        let seller = platform_seller(app).await;
        let portal = connect(app, &seller.partner_id).await;
        deal_with_contact(
            app,
            &portal,
            &[("email", "early@lost.example"), ("company", "Early")],
            "closedlost",
        )
        .await;
        app.drain().await;
        inventory_on(app, &seller).await;

        // The run stores its lead, then cannot reach the queue.
        faults.fail();
        app.run_job("hubspot-inventory").await;
        faults.restore();
        let listed = listings(app, &seller).await;
        let lead = listing_of(&listed, "early@lost.example")["leadId"]
            .as_str()
            .unwrap()
            .to_owned();

        // The next run and the outbox sweep send its notice, once.
        app.run_job("hubspot-inventory").await;
        app.sweep_outbox().await;
        app.run_job("hubspot-inventory").await;
        app.sweep_outbox().await;
        let sent = faults.sent_to(QueueName::Marketplace);
        assert_eq!(notices_naming(&sent, &lead), 1, "{sent:?}");
    }
);
