//! Daily reminders reach the right users with the right leads once a day,
//! and follow the partners' notification preferences.

use pc_leads::DealStatus;
use pc_tests::notify_support::{mails_to, seed_lead, seed_partner, seed_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

use super::fixtures::{seed_reminder_world, wait_for_reminders};

scenario!(
    reminders_reach_the_right_users_with_the_right_leads_once_a_day,
    |app| {
        // 10:00 in Los Angeles on a winter day.
        app.set_clock("2024-01-15T18:00:00Z").await;
        seed_reminder_world(app).await;

        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["status"], "completed", "{run}");
        assert_eq!(run["counts"]["emailsQueued"], 3, "{run}");
        assert_eq!(run["counts"]["partnersWithOverdueLeads"], 2, "{run}");
        assert_eq!(run["counts"]["partnersOptedOut"], 1, "{run}");

        for to in ["ann@acme.test", "bob@acme.test"] {
            let mail = &wait_for_reminders(app, to, 1).await[0];
            let text = mail["text"].as_str().unwrap();
            assert!(
                text.contains("old@lead.test (Old Co), 3 days since update"),
                "{text}"
            );
            assert!(text.contains("new@lead.test"), "{text}");
            for absent in ["won@", "lost@", "future@", "nomeeting@", "g1@", "q1@"] {
                assert!(!text.contains(absent), "{absent} listed: {text}");
            }
            assert!(mail["subject"].as_str().unwrap().contains("Acme"));
            assert!(mail["html"].as_str().unwrap().contains("Old Co"));
        }
        let gil = &wait_for_reminders(app, "gil@globex.test", 1).await[0];
        let text = gil["text"].as_str().unwrap();
        assert!(
            text.contains("g1@lead.test") && !text.contains("old@lead.test"),
            "{text}"
        );

        // A second run the same day (an hour later) sends nothing twice.
        app.set_clock("2024-01-15T19:00:00Z").await;
        let again = app.run_job("daily-lead-reminders").await;
        assert_eq!(again["status"], "completed");
        // The next day's reminders go out; by then the second run's jobs were
        // handled too.
        app.set_clock("2024-01-16T18:00:00Z").await;
        app.run_job("daily-lead-reminders").await;
        wait_for_reminders(app, "ann@acme.test", 2).await;
        wait_for_reminders(app, "gil@globex.test", 2).await;
        app.drain().await;
        assert_eq!(mails_to(app, "ann@acme.test", "overdue").await.len(), 2);
        assert_eq!(mails_to(app, "bob@acme.test", "overdue").await.len(), 2);
        assert_eq!(mails_to(app, "gil@globex.test", "overdue").await.len(), 2);

        // Inactive users, partners with nothing overdue and partners that
        // turned reminders off get nothing.
        for nobody in ["gone@acme.test", "cal@calm.test", "quinn@quiet.test"] {
            assert!(
                mails_to(app, nobody, "").await.is_empty(),
                "{nobody} got mail"
            );
        }
    }
);

scenario!(
    reminders_follow_the_partners_notification_preferences,
    |app| {
        app.set_clock("2024-01-15T18:00:00Z").await;
        let acme = seed_partner(app, "Acme", true).await;
        seed_user(app, &acme, "ann@acme.test", true).await;
        seed_lead(
            app,
            &acme,
            "old@lead.test",
            "Old Co",
            Some("2024-01-10T17:00:00Z"),
            DealStatus::Scheduled,
            "2024-01-12T18:00:00Z",
        )
        .await;
        app.sign_in_owner().await;
        let path = format!("/v1/partners/{acme}/notification-preferences");

        let off = app
            .patch(&path, &json!({"email": {"leadReminder": false}}))
            .await;
        expect_json(off, StatusCode::OK).await;
        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["counts"]["partnersOptedOut"], 1, "{run}");
        assert_eq!(run["counts"]["emailsQueued"], 0, "{run}");

        let on = app
            .patch(&path, &json!({"email": {"leadReminder": true}}))
            .await;
        expect_json(on, StatusCode::OK).await;
        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["counts"]["emailsQueued"], 1, "{run}");
        wait_for_reminders(app, "ann@acme.test", 1).await;
    }
);
