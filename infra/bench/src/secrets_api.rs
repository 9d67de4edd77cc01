//! A local Secrets Manager endpoint, so a deployed binary reads its
//! secrets at init as it does on Lambda: `BatchGetSecretValue` (and
//! `GetSecretValue`) over the AWS JSON protocol, answering the benchmark's
//! values, optionally after a delay standing in for the network. Plain
//! HTTP on loopback: on Lambda the same call is an HTTPS round trip to the
//! region's endpoint (TCP and TLS handshakes included), which this does not
//! measure.
//!
//! For the cold-start comparison (`pc-bench cold`) the same endpoint is the
//! rest of the AWS account ([`crate::account_api`]), so a deployed function
//! answers its first request through its real SDK clients.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use pc_platform::config::Secret;
use pc_platform::store::Store;

use crate::account_api;

use crate::settings::config;

#[derive(Clone)]
struct Shared {
    /// Value by ARN.
    values: Arc<HashMap<String, String>>,
    delay: Duration,
    /// What DynamoDB reads find ([`account_api`]); nothing when `None`.
    seeded: Option<Arc<dyn Store>>,
}

/// The endpoint: its URL, for `AWS_ENDPOINT_URL`.
pub struct SecretsApi {
    pub url: String,
}

/// The ARN the benchmark gives `secret`.
pub fn arn(secret: Secret) -> String {
    format!(
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench/{}-AbCdEf",
        secret.env_name()
    )
}

async fn answer(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(sent) = account_api::ses_sent(&body) {
        return sent;
    }
    let (status, body) = respond(&shared, &headers, &body).await;
    (status, [(CONTENT_TYPE, "application/x-amz-json-1.1")], body).into_response()
}

async fn respond(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
    // Not even a zero sleep when there is no delay: tokio's timer counts
    // whole milliseconds, and `sleep(ZERO)` can wait for its next tick.
    if !shared.delay.is_zero() {
        tokio::time::sleep(shared.delay).await;
    }
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let target = headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default();
    let entry = |id: &str| {
        shared.values.get(id).map(|value| {
            json!({"ARN": id, "Name": id, "SecretString": value, "VersionStages": ["AWSCURRENT"]})
        })
    };
    match target {
        "secretsmanager.BatchGetSecretValue" => {
            let ids: Vec<&str> = request["SecretIdList"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let values: Vec<Value> = ids.iter().filter_map(|id| entry(id)).collect();
            let errors: Vec<Value> = ids
                .iter()
                .filter(|id| entry(id).is_none())
                .map(|id| json!({"SecretId": id, "ErrorCode": "ResourceNotFoundException", "Message": "not found"}))
                .collect();
            (
                StatusCode::OK,
                json!({"SecretValues": values, "Errors": errors}).to_string(),
            )
        }
        "secretsmanager.GetSecretValue" => {
            match entry(request["SecretId"].as_str().unwrap_or_default()) {
                Some(value) if request.get("VersionStage").is_none() => {
                    (StatusCode::OK, value.to_string())
                }
                _ => (
                    StatusCode::BAD_REQUEST,
                    json!({"__type": "ResourceNotFoundException", "message": "not found"})
                        .to_string(),
                ),
            }
        }
        other => match account_api::answer(other, &request, shared.seeded.as_ref()).await {
            Some(answer) => (StatusCode::OK, answer.to_string()),
            None => (
                StatusCode::BAD_REQUEST,
                json!({"__type": "UnknownOperationException"}).to_string(),
            ),
        },
    }
}

impl SecretsApi {
    /// Serves the local settings' secrets, each answer after `delay`, and
    /// the rest of the account with `seeded`'s items ([`account_api`]).
    pub async fn start(delay: Duration, seeded: Option<Arc<dyn Store>>) -> anyhow::Result<Self> {
        let keyring = config().secrets;
        let values: HashMap<String, String> = Secret::ALL
            .iter()
            .filter_map(|s| keyring.current(*s).ok().map(|v| (arn(*s), v.to_string())))
            .collect();
        let shared = Shared {
            values: Arc::new(values),
            delay,
            seeded,
        };
        let app = Router::new().route("/", post(answer)).with_state(shared);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Ok(Self { url })
    }
}
