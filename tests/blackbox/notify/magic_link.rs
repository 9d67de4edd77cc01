//! The magic link from a reminder validates, and expires after 24 hours.

use pc_leads::DealStatus;
use pc_tests::notify_support::{magic_token, seed_lead, seed_partner, seed_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

use super::fixtures::wait_for_reminders;

scenario!(
    the_magic_link_from_the_email_validates_and_expires_after_24_hours,
    |app| {
        app.set_clock("2024-07-15T16:30:00Z").await;
        let acme = seed_partner(app, "Acme", true).await;
        seed_user(app, &acme, "ann@acme.test", true).await;
        seed_lead(
            app,
            &acme,
            "old@lead.test",
            "Old Co",
            Some("2024-07-01T17:00:00Z"),
            DealStatus::Scheduled,
            "2024-07-01T18:00:00Z",
        )
        .await;
        app.run_job("daily-lead-reminders").await;
        let mail = &wait_for_reminders(app, "ann@acme.test", 1).await[0];
        let client_url = app.server.context.config.client_url.clone();
        assert!(
            mail["text"]
                .as_str()
                .unwrap()
                .contains(&format!("{client_url}/leads?magic=")),
            "{mail}"
        );
        let token = magic_token(mail);

        let validate = |token: String| async move {
            app.post("/v1/leads/magic-link/validate", &json!({"token": token}))
                .await
        };
        let grant = expect_json(validate(token.clone()).await, StatusCode::OK).await;
        assert_eq!(grant["partnerId"], acme.as_str());
        assert_eq!(grant["filter"], "overdue");
        let filters = grant["filters"].as_array().unwrap();
        assert_eq!(filters[0]["column"], "scheduledDate");
        assert_eq!(filters[0]["operator"], "lt");
        assert!(
            filters[0]["value"]
                .as_str()
                .unwrap()
                .starts_with("2024-07-15T")
        );
        assert_eq!(filters[1]["column"], "dealStatus");
        assert_eq!(filters[1]["operator"], "not_in");
        assert_eq!(
            filters[1]["value"],
            json!([
                "won",
                "lost_no_show",
                "lost_disqualified",
                "lost_no_potential"
            ])
        );

        // Tampered, empty, or missing.
        let signature_at = token.rfind('.').unwrap() + 1;
        let mut tampered = token.clone();
        let flipped = if tampered[signature_at..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        tampered.replace_range(signature_at..signature_at + 1, flipped);
        expect_json(validate(tampered).await, StatusCode::UNAUTHORIZED).await;
        let body = expect_json(validate(String::new()).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["details"][0]["field"], "token");
        let body = expect_json(
            app.post("/v1/leads/magic-link/validate", &json!({})).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.to_string().contains("token"), "{body}");

        // Still valid a little under 24 hours later, refused after.
        app.set_clock("2024-07-16T16:20:00Z").await;
        expect_json(validate(token.clone()).await, StatusCode::OK).await;
        app.set_clock("2024-07-16T16:31:00Z").await;
        let body = expect_json(validate(token).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"]["code"], "unauthorized");
    }
);
