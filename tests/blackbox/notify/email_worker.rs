//! The emails worker: a job delivered twice is sent once and escapes its
//! data.

use pc_platform::email::{EmailJob, EmailKind, enqueue};
use pc_tests::notify_support::mails_to;
use pc_tests::{json, scenario};

scenario!(
    an_email_job_delivered_twice_is_sent_once_and_escapes_its_data,
    |app| {
        let queue = app.server.context.queue.clone();
        let job = EmailJob {
            id: "notice-1".into(),
            kind: EmailKind::NewLeadNotice,
            to: "ann@acme.test".into(),
            data: json!({
                "name": "Ann", "partnerName": "Acme <b>Corp</b>",
                "lead": {"email": "x@lead.test", "firstName": "Zoë", "lastName": "Ünal",
                         "company": "<script>alert(1)</script>"},
                "meetingStart": "2024-01-15T17:00:00.000Z", "link": "/leads/l1",
            }),
        };
        enqueue(queue.as_ref(), &job).await.unwrap();
        enqueue(queue.as_ref(), &job).await.unwrap();
        let mail = app.wait_for_mail("ann@acme.test", "New lead").await;
        let html = mail["html"].as_str().unwrap();
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(html.contains("Zoë Ünal"));
        assert!(
            mail["text"]
                .as_str()
                .unwrap()
                .contains("<script>alert(1)</script>")
        );

        // A later job to the same person arrives; the duplicate never does.
        let sentinel = EmailJob {
            id: "reset-1".into(),
            kind: EmailKind::PasswordReset,
            to: "ann@acme.test".into(),
            data: json!({"name": "Ann", "link": "/reset-password?token=t"}),
        };
        enqueue(queue.as_ref(), &sentinel).await.unwrap();
        app.wait_for_mail("ann@acme.test", "Reset").await;
        app.drain().await;
        assert_eq!(mails_to(app, "ann@acme.test", "New lead").await.len(), 1);
    }
);
