//! The webhooks' signed samples: the right secret or a fresh signature is
//! accepted and queued, a wrong one refused with nothing queued.

use pc_host::lambda;

use crate::{context, events_dir, invoke, parse_http, sample_world, status};

/// The ChiliPiper samples: the right secret is accepted and queued, the
/// wrong one refused with nothing queued.
/// Feeds a webhook's samples (placeholders filled by the sample world) to
/// its function: each answers `expected`, and only an accepted one (2xx)
/// leaves its event on `queue`.
async fn webhook_samples(name: &str, queue: &str, samples: [(&str, u64); 2]) {
    let function = pc_host::catalog::find(name).expect("the webhook exists");
    for (sample, expected) in samples {
        let ctx = context();
        let world = sample_world::SampleWorld::build(&ctx).await.unwrap();
        let text = world.fill(&std::fs::read_to_string(events_dir().join(sample)).unwrap());
        let response = invoke(
            lambda::webhook_app(&ctx, function),
            parse_http(sample, &text),
        )
        .await;
        assert_eq!(status(&response), expected, "{sample}: {response}");
        let queued = ctx
            .store
            .query(&pc_platform::store::Query::partition(
                pc_platform::store::Index::Table,
                format!("QUEUE#{queue}"),
            ))
            .await
            .unwrap();
        let accepted = (200..300).contains(&expected);
        assert_eq!(queued.items.len(), usize::from(accepted), "{sample}");
    }
}

#[tokio::test]
async fn chilipiper_samples_with_the_right_and_a_wrong_secret() {
    webhook_samples(
        "meetings-chilipiper-webhook",
        "chilipiper-webhook",
        [
            ("meetings-chilipiper-webhook.json", 202),
            ("meetings-chilipiper-webhook.invalid-secret.json", 401),
        ],
    )
    .await;
}

/// The Stripe webhook samples: a fresh signature is accepted and the event
/// queued verbatim; a signature under another secret is refused with
/// nothing queued.
#[tokio::test]
async fn stripe_webhook_samples_with_a_fresh_and_a_wrong_signature() {
    webhook_samples(
        "billing-stripe-webhook",
        "stripe-webhook",
        [
            ("billing-stripe-webhook.json", 200),
            ("billing-stripe-webhook.invalid-signature.json", 400),
        ],
    )
    .await;
}

/// The Stripe Connect webhook samples: a connected account's event with a
/// fresh signature under the Connect endpoint's secret is accepted and
/// queued; a stale or foreign signature is refused with nothing queued.
#[tokio::test]
async fn stripe_connect_webhook_samples_with_a_fresh_and_a_wrong_signature() {
    webhook_samples(
        "billing-stripe-connect-webhook",
        "stripe-webhook",
        [
            ("billing-stripe-connect-webhook.json", 200),
            ("billing-stripe-connect-webhook.invalid-signature.json", 400),
        ],
    )
    .await;
}
