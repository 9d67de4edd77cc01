//! SesEmail on moto: a verified sender sends; an unverified one is rejected.

use pc_aws::SesEmail;
use pc_platform::email::{EmailError, EmailSender, OutgoingEmail};

use pc_aws::moto::fixture;

fn email(from: &str) -> OutgoingEmail {
    OutgoingEmail {
        from: from.into(),
        to: "partner@example.com".into(),
        subject: "Your lead — ✓".into(),
        text: "A new lead is waiting.".into(),
        html: "<p>A new lead is waiting.</p>".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ses_sends_from_the_verified_sender() {
    let f = fixture("ses").await;
    let ses = SesEmail::new(aws_sdk_ses::Client::new(&f.sdk));
    let id = ses.send(&email(&f.config.email_from)).await.unwrap();
    assert!(!id.is_empty());
    let mut text_only = email(&f.config.email_from);
    text_only.html.clear();
    assert!(!ses.send(&text_only).await.unwrap().is_empty());

    let err = ses
        .send(&email("Nobody <nobody@unverified.example>"))
        .await
        .unwrap_err();
    assert!(matches!(err, EmailError::Rejected(_)), "{err:?}");
}
