//! The settings of the benchmark: the ones its in-process handlers and
//! seeded store use, and the environment a deployed function is started
//! with.

use pc_platform::config::{Config, Secret};
use pc_platform::queue::QueueName;
use pc_platform::session_keys::PUBLIC_KEYS_VARIABLE;

/// Where `embedded-function` finds the seeded store file.
pub const EMBEDDED_STORE_DIR: &str = "PC_EMBEDDED_STORE_DIR";

pub fn config() -> Config {
    let mut config = Config::local_defaults();
    config.cookie_secure = false;
    config
}

/// Settings a deployed function reads, with the benchmark's values: the
/// ARN of every secret (each function reads those it holds from the local
/// Secrets Manager endpoint, [`crate::secrets_api`]), never a value, and
/// the public keys of session tokens, which the template gives every
/// function that checks sessions (the public half of the local signing
/// key, which signs the benchmark's sessions). The `embedded-function`
/// stand-in reads the same local defaults as [`config`].
pub fn lambda_env() -> Vec<(String, String)> {
    let c = config();
    let arns = Secret::ALL.map(|secret| (secret.name_variable(), crate::secrets_api::arn(secret)));
    let public_keys: Vec<String> = c.jwt_public_keys.iter().map(|k| k.to_base64()).collect();
    // Every queue's URL, as the template gives each function those it
    // sends to: the host is irrelevant, calls go to `AWS_ENDPOINT_URL`.
    let queues = QueueName::ALL.map(|q| {
        let url = format!(
            "https://sqs.us-east-1.amazonaws.com/000000000000/{}",
            q.as_str()
        );
        (q.url_env(), url)
    });
    let named = arns.into_iter().chain([
        (PUBLIC_KEYS_VARIABLE, public_keys.join(",")),
        ("TABLE_NAME", c.table_name),
        ("EVENT_BUS_NAME", c.event_bus_name),
        ("UPLOADS_BUCKET", c.uploads_bucket),
        ("EMAIL_FROM", c.email_from),
        ("CLIENT_URL", c.client_url),
        // Deployed functions accept only an https origin and secure cookies.
        (
            "CORS_ORIGIN",
            "https://app.partner-connector.example".into(),
        ),
        ("COOKIE_SECURE", "true".into()),
        ("LOST_LEAD_ALERT_TO", c.lost_lead_alert_to),
        ("BILLING_ALERT_TO", c.billing_alert_to),
        ("RUST_LOG", "warn".into()),
    ]);
    named
        .map(|(name, value)| (name.to_owned(), value))
        .chain(queues)
        .collect()
}
