//! Black-box scenarios of activities: a lead's changes become activities
//! of its partner (newest first, an unread count), each event goes once to
//! the `webhook-deliveries` queue, a redelivered source makes nothing new;
//! a marketplace purchase is an activity of the buyer and of the seller;
//! an invoice created then paid is its partner's; mark-read by ids and
//! all; another partner's activities are never listed nor marked.

use pc_http::identity::Role;
use pc_leads::DealStatus;
use pc_platform::bus::BusEvent;
use pc_platform::queue::QueueName;
use pc_tests::invoices_support::{
    billable_partner, fifty_per_lead, invoice_may, lead_created, the_invoice_of,
};
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{
    Side, call, connected_seller, listed_lead, partner, purchase, reserve,
};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, faulty_scenario, json, scenario};
use serde_json::Value;

async fn activities(app: &TestApp, client: &Client, query: &str) -> Value {
    expect_json(
        call(
            app,
            client,
            Method::GET,
            &format!("/v1/activities{query}"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

async fn mark_read(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    let response = call(
        app,
        client,
        Method::PATCH,
        "/v1/activities/mark-read",
        &body,
    )
    .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn types(page: &Value) -> Vec<String> {
    page["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The partner events sent to `webhook-deliveries` for `partner_id`.
fn deliveries_for(bodies: &[String], partner_id: &str) -> Vec<Value> {
    bodies
        .iter()
        .map(|b| serde_json::from_str::<Value>(b).unwrap())
        .filter(|e| {
            e["partnerIds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == partner_id)
        })
        .collect()
}

async fn new_lead(app: &TestApp, side: &Side, email: &str) -> String {
    let created = expect_json(
        call(
            app,
            &side.admin,
            Method::POST,
            "/v1/leads",
            &json!({"email": email}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

faulty_scenario!(
    lead_changes_become_activities_of_their_partner_once,
    |app, faults| {
        let ours = partner(app, "Ours").await;
        let theirs = partner(app, "Theirs").await;
        let lead = new_lead(app, &ours, "ann@acme.example").await;
        let path = format!("/v1/leads/{lead}");
        let moved = call(
            app,
            &ours.admin,
            Method::PATCH,
            &path,
            &json!({"dealStatus": "scheduled"}),
        )
        .await;
        expect_json(moved, StatusCode::OK).await;
        app.drain().await;

        let feed = activities(app, &ours.admin, "").await;
        assert_eq!(
            types(&feed),
            ["lead.status_changed", "lead.created"],
            "newest first"
        );
        assert_eq!(feed["unreadCount"], 2);
        assert_eq!(feed["meta"]["total"], 2);
        let changed = &feed["list"][0];
        assert_eq!(changed["read"], false);
        assert_eq!(changed["partnerId"], ours.partner_id.as_str());
        assert_eq!(changed["data"]["leadId"], lead.as_str());
        assert_eq!(changed["data"]["previousStatus"], "new");
        assert_eq!(changed["data"]["dealStatus"], "scheduled");
        let (user, _) = signed_in_user(app, Some(&ours.partner_id), Role::User).await;
        assert_eq!(
            ids(&activities(app, &user, "").await),
            ids(&feed),
            "every user of the partner"
        );

        // Each event went once to the webhook deliveries, as its partner event.
        let sent = deliveries_for(
            &faults.sent_to(QueueName::WebhookDeliveries),
            &ours.partner_id,
        );
        let mut sent_ids: Vec<_> = sent.iter().map(|e| e["id"].as_str().unwrap()).collect();
        sent_ids.sort();
        let mut listed = ids(&feed);
        listed.sort();
        assert_eq!(sent_ids, listed);
        assert!(
            sent.iter()
                .all(|e| e["occurredAt"].is_string() && e["data"]["leadId"] == lead.as_str())
        );

        // The audit events delivered again make nothing new.
        for body in faults.sent_to(QueueName::Events) {
            app.server
                .context
                .queue
                .send(QueueName::Events, &body)
                .await
                .unwrap();
        }
        app.drain().await;
        let again = activities(app, &ours.admin, "").await;
        assert_eq!(ids(&again), ids(&feed));
        assert_eq!(again["unreadCount"], 2);
        let resent = deliveries_for(
            &faults.sent_to(QueueName::WebhookDeliveries),
            &ours.partner_id,
        );
        assert_eq!(resent.len(), 2);

        // Another partner sees none of it and marks none of it.
        let other = activities(app, &theirs.admin, "").await;
        assert_eq!(other["list"], json!([]));
        assert_eq!(other["unreadCount"], 0);
        let (status, answer) = mark_read(app, &theirs.admin, json!({"ids": ids(&feed)})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer, json!({"marked": 0, "unreadCount": 0}));
        let (status, _) = mark_read(
            app,
            &theirs.admin,
            json!({"all": true, "partnerId": ours.partner_id}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let query = format!("?partnerId={}", ours.partner_id);
        let peek = call(
            app,
            &theirs.admin,
            Method::GET,
            &format!("/v1/activities{query}"),
            &json!({}),
        )
        .await;
        assert_eq!(peek.status(), StatusCode::NOT_FOUND);
        assert_eq!(activities(app, &ours.admin, "").await["unreadCount"], 2);

        // Marked by id: once, however often it is asked.
        let first = feed["list"][1]["id"].clone();
        let (_, answer) = mark_read(app, &ours.admin, json!({"ids": [first, first]})).await;
        assert_eq!(answer, json!({"marked": 1, "unreadCount": 1}));
        let (_, answer) = mark_read(app, &ours.admin, json!({"ids": [first]})).await;
        assert_eq!(answer, json!({"marked": 0, "unreadCount": 1}));
        let unread = activities(app, &ours.admin, "?unreadOnly=true").await;
        assert_eq!(types(&unread), ["lead.status_changed"]);
        assert_eq!(unread["unreadCount"], 1);

        // All at once.
        let (_, answer) = mark_read(app, &ours.admin, json!({"all": true})).await;
        assert_eq!(answer, json!({"marked": 1, "unreadCount": 0}));
        let read = activities(app, &ours.admin, "").await;
        assert!(
            read["list"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["read"] == true)
        );
        assert_eq!(
            activities(app, &ours.admin, "?unreadOnly=true").await["list"],
            json!([])
        );

        // Staff read a partner's feed by naming it.
        app.sign_in_owner().await;
        let staff = expect_json(
            app.get(&format!("/v1/activities{query}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&staff), ids(&feed));
    }
);

scenario!(
    bad_mark_read_bodies_and_list_queries_are_400s_naming_the_field,
    |app| {
        let ours = partner(app, "Ours").await;
        for (body, field) in [
            (json!({}), "ids"),
            (json!({"all": false}), "all"),
            (json!({"ids": []}), "ids"),
            (json!({"ids": "abc"}), "ids"),
            (json!({"ids": [""]}), "ids[0]"),
            (json!({"ids": ["a"], "all": true}), "ids"),
            (json!({"every": true}), "every"),
        ] {
            let (status, answer) = mark_read(app, &ours.admin, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let fields: Vec<_> = answer["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["field"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert!(fields.iter().any(|f| f == field), "{body}: {answer}");
        }
        for query in ["?unreadOnly=yes", "?sort=color:asc", "?perPage=0"] {
            let response = call(
                app,
                &ours.admin,
                Method::GET,
                &format!("/v1/activities{query}"),
                &json!({}),
            )
            .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        }
    }
);

scenario!(
    a_purchase_is_an_activity_of_the_buyer_and_of_the_seller,
    |app| {
        let seller = connected_seller(app, "Seller").await;
        let buyer = partner(app, "Buyer").await;
        let lead = listed_lead(app, &seller, "jane@widget.example", 100).await;
        let reservation = reserve(app, &buyer, &lead).await;
        let started = expect_json(
            purchase(app, &buyer.admin, &reservation).await,
            StatusCode::CREATED,
        )
        .await;
        let intent = started["paymentIntentId"].as_str().unwrap().to_owned();
        let succeed = format!("/dev/stripe/payment-intents/{intent}/succeed");
        expect_json(app.post(&succeed, &json!({})).await, StatusCode::OK).await;
        app.drain().await;

        let sold = activities(app, &seller.admin, "").await;
        assert_eq!(
            types(&sold),
            [
                "marketplace.lead_sold",
                "marketplace.lead_reserved",
                "marketplace.lead_listed",
                "lead.created"
            ]
        );
        assert_eq!(sold["list"][0]["data"]["purchaseId"], reservation.as_str());
        assert_eq!(sold["list"][0]["data"]["priceCents"], 10_000);
        let bought = activities(app, &buyer.admin, "?filter=%5B%7B%22column%22%3A%22type%22%2C%22operator%22%3A%22in%22%2C%22value%22%3A%5B%22marketplace.lead_purchased%22%2C%22marketplace.lead_reserved%22%5D%7D%5D").await;
        assert_eq!(
            types(&bought),
            ["marketplace.lead_purchased", "marketplace.lead_reserved"]
        );
        let (buyer_unread, seller_unread) = (
            activities(app, &buyer.admin, "").await["unreadCount"].clone(),
            sold["unreadCount"].clone(),
        );

        // The bus delivers the sale again: nothing new for either side.
        let again = BusEvent {
            detail_type: "lead-sold".into(),
            detail: json!({
                "leadId": lead, "purchaseId": reservation, "sellerId": seller.partner_id,
                "buyerId": buyer.partner_id, "priceCents": 10_000,
                "at": "2030-01-01T00:00:00.000Z",
            }),
        };
        app.server.context.bus.publish(&[again]).await.unwrap();
        app.drain().await;
        let sold_again = activities(app, &seller.admin, "").await;
        assert_eq!(ids(&sold_again), ids(&sold));
        assert_eq!(sold_again["unreadCount"], seller_unread);
        assert_eq!(
            activities(app, &buyer.admin, "").await["unreadCount"],
            buyer_unread
        );
    }
);

scenario!(
    an_invoice_created_then_paid_is_its_partners_activity,
    |app| {
        app.sign_in_owner().await;
        let payer = billable_partner(app, "Payer", fifty_per_lead()).await;
        let may = "2024-05-10T12:00:00Z";
        lead_created(app, &payer, "q@buyer.test", may, DealStatus::New, None).await;
        invoice_may(app).await;
        let invoice = the_invoice_of(app, &payer).await;
        let stripe_id = invoice["stripeInvoiceId"].as_str().unwrap();
        let pay = format!("/dev/stripe/invoices/{stripe_id}/pay");
        expect_json(app.post(&pay, &json!({})).await, StatusCode::OK).await;
        app.drain().await;

        let feed = expect_json(
            app.get(&format!("/v1/activities?partnerId={payer}")).await,
            StatusCode::OK,
        )
        .await;
        let mut kinds = types(&feed);
        kinds.sort();
        assert_eq!(kinds, ["invoice.created", "invoice.paid"]);
        assert_eq!(feed["unreadCount"], 2);
        for activity in feed["list"].as_array().unwrap() {
            assert_eq!(activity["data"]["invoiceId"], invoice["id"]);
            assert_eq!(activity["data"]["amountCents"], 5_000);
        }
    }
);
