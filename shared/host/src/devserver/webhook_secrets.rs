//! The secrets the dev server checks inbound webhooks with, printed at
//! start-up with where each is used, so a webhook can be signed by hand.

use pc_platform::config::Config;
use pc_platform::secrets::Secret;

/// One inbound webhook secret in force.
pub struct WebhookSecret {
    pub name: &'static str,
    /// The value, or why there is none.
    pub value: String,
    /// The endpoint it guards and how a request carries it.
    pub used_by: &'static str,
}

fn value_of(config: &Config, secret: Secret) -> String {
    config
        .secrets
        .current(secret)
        .map_or_else(|e| format!("(unset: {e})"), |value| value.to_string())
}

/// The three inbound webhook secrets of `config`.
pub fn webhook_secrets(config: &Config) -> [WebhookSecret; 3] {
    [
        WebhookSecret {
            name: Secret::StripeWebhook.env_name(),
            value: value_of(config, Secret::StripeWebhook),
            used_by: "POST /v1/billing/webhooks/stripe: Stripe-Signature `t=<unix s>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">` (the fake Stripe signs with it)",
        },
        WebhookSecret {
            name: Secret::HubspotClientSecret.env_name(),
            value: value_of(config, Secret::HubspotClientSecret),
            used_by: "POST /leads/hubspot: X-HubSpot-Signature-v3 = base64 HMAC-SHA256 of method + full URI + body + X-HubSpot-Request-Timestamp (ms) (the fake HubSpot signs with it)",
        },
        WebhookSecret {
            name: Secret::ChilipiperWebhook.env_name(),
            value: value_of(config, Secret::ChilipiperWebhook),
            used_by: "POST /v1/meetings/webhooks/chilipiper: sent as is in X-Webhook-Secret (or ?secret=)",
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::config::Mode;

    /// The dev values the docs give are the ones the dev server checks.
    #[test]
    fn the_docs_give_the_dev_server_s_webhook_secrets() {
        let docs = include_str!("../../../../docs/walkthrough.md");
        let config = Config::from_lookup(Mode::Local, &[], |_| None).unwrap();
        for secret in webhook_secrets(&config) {
            assert!(!secret.value.starts_with("(unset"), "{}", secret.name);
            assert!(
                docs.contains(&format!("| `{}` | `{}` |", secret.name, secret.value)),
                "docs/walkthrough.md lacks the dev value of {}",
                secret.name
            );
        }
    }
}
