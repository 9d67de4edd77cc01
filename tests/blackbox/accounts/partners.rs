//! Partner records: slugs, meeting types, billing settings, notification
//! preferences, and the list's sort whitelist.

use pc_tests::accounts_support::create_partner;
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

scenario!(
    partners_slugs_meeting_types_billing_and_preferences,
    |app| {
        app.sign_in_owner().await;
        let a = create_partner(app, &app.client, "Acme Corp").await;
        let b = create_partner(app, &app.client, "ACME corp!").await;
        assert_eq!(a["slug"], "acme-corp");
        assert_eq!(b["slug"], "acme-corp-2");
        assert_eq!(a["totalLeads"], 0);
        let by_slug = expect_json(app.get("/v1/partners/acme-corp-2").await, StatusCode::OK).await;
        assert_eq!(by_slug["id"], b["id"]);
        let taken = app
            .post("/v1/partners", &json!({"name": "X", "slug": "acme-corp"}))
            .await;
        expect_json(taken, StatusCode::CONFLICT).await;

        let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        let types = json!({"chiliMeetingTypes": ["Demo Call", "Intro"]});
        expect_json(
            app.patch(&format!("/v1/partners/{a_id}"), &types).await,
            StatusCode::OK,
        )
        .await;
        let clash = json!({"chiliMeetingTypes": ["demo call"]});
        let clash = expect_json(
            app.patch(&format!("/v1/partners/{b_id}"), &clash).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(clash["error"]["code"], "meeting_type_taken");
        // Freed types can be taken by another partner.
        expect_json(
            app.patch(
                &format!("/v1/partners/{a_id}"),
                &json!({"chiliMeetingTypes": ["Intro"]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let moved = expect_json(
            app.patch(
                &format!("/v1/partners/{b_id}"),
                &json!({"chiliMeetingTypes": ["Demo Call"]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(moved["chiliMeetingTypes"], json!(["Demo Call"]));
        // Slug moves free the old one.
        expect_json(
            app.patch(&format!("/v1/partners/{a_id}"), &json!({"slug": "acme"}))
                .await,
            StatusCode::OK,
        )
        .await;
        expect_json(
            app.get("/v1/partners/acme-corp").await,
            StatusCode::NOT_FOUND,
        )
        .await;
        expect_json(app.get("/v1/partners/acme").await, StatusCode::OK).await;

        let billing_path = format!("/v1/partners/{a_id}/billing");
        let unset = expect_json(app.get(&billing_path).await, StatusCode::OK).await;
        assert!(unset["billingType"].is_null());
        let overlapping = json!({"billingType": "qualified_lead", "billingTerms": [
        {"startMonth": "2024-01", "endMonth": "2024-06", "value": 50},
        {"startMonth": "2024-06", "endMonth": null, "value": 60}]});
        let bad = expect_json(
            app.put(&billing_path, &overlapping).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "billingTerms");
        let bad_type = json!({"billingType": "monthly", "billingTerms": []});
        let bad = expect_json(
            app.put(&billing_path, &bad_type).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "billingType");
        let good = json!({"billingType": "percentage_of_deal", "billingTerms": [
        {"startMonth": "2024-01", "endMonth": "2024-06", "value": 12.5},
        {"startMonth": "2024-07", "endMonth": null, "value": 10}], "billingEmail": "ap@acme.test"});
        let saved = expect_json(app.put(&billing_path, &good).await, StatusCode::OK).await;
        assert_eq!(saved["billingTerms"][0]["value"], 12.5);
        let read = expect_json(app.get(&billing_path).await, StatusCode::OK).await;
        assert_eq!(read["billingType"], "percentage_of_deal");
        let onboarding = expect_json(
            app.get(&format!("/v1/partners/{a_id}/onboarding")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(onboarding["steps"]["billingConfigured"], true);
        expect_json(
            app.put("/v1/partners/NOPE/billing", &good).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let prefs_path = format!("/v1/partners/{a_id}/notification-preferences");
        // The server makes the webhook's secret: one sent by the client is refused.
        let own_secret = json!({"webhook": {"url": "https://hooks.acme.test/pc",
            "secret": "a-very-secret-value", "events": ["marketplace.lead_sold"]}});
        let bad = expect_json(
            app.patch(&prefs_path, &own_secret).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "webhook.secret");
        let prefs = json!({"email": {"leadReminder": false},
        "webhook": {"url": "https://hooks.acme.test/pc", "events": ["marketplace.lead_sold"]}});
        let saved = expect_json(app.patch(&prefs_path, &prefs).await, StatusCode::OK).await;
        assert_eq!(saved["email"]["leadReminder"], false);
        assert_eq!(saved["email"]["newLead"], true);
        assert_eq!(saved["webhook"]["hasSecret"], true);
        let shown = saved["webhook"]["secret"].as_str().unwrap().to_owned();
        assert!(shown.starts_with("whsec_"), "{shown}");
        let partner = expect_json(
            app.get(&format!("/v1/partners/{a_id}")).await,
            StatusCode::OK,
        )
        .await;
        assert!(!partner.to_string().contains(&shown));

        let list = expect_json(app.get("/v1/partners?sort=name:desc").await, StatusCode::OK).await;
        for row in list["list"].as_array().unwrap() {
            for field in ["totalLeads", "totalAppointments", "lastAppointmentDate"] {
                assert!(row.get(field).is_some(), "{field} on every row");
            }
        }
        expect_json(
            app.get("/v1/partners?sort=secret:asc").await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);
