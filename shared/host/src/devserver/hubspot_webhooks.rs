//! Delivers the fake HubSpot's webhook batches to the HubSpot webhook
//! function (`POST /leads/hubspot`) in process, through the same router
//! its function URL serves in Lambda, with the raw body and the
//! `X-HubSpot-Signature-v3` and `X-HubSpot-Request-Timestamp` headers. The
//! batch is signed over the dev server's own URI of the route, sent as
//! `Host` and `X-Forwarded-Proto`. The fake's call returns once the
//! function answered, so what follows can drain the queue.

use std::sync::Weak;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, Request, header};
use tower::ServiceExt;

use pc_platform::AppContext;
use pc_platform::crm::fake::WebhookEndpoint;
use pc_platform::crm::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The webhook route HubSpot calls.
pub const WEBHOOK_PATH: &str = "/leads/hubspot";

/// The HubSpot webhook function of one dev server.
pub struct InProcessHubspotWebhook {
    /// Weak: the context owns the fake that owns this endpoint.
    pub context: Weak<AppContext>,
    /// The dev server's origin (`http://127.0.0.1:3000`).
    pub origin: url::Url,
}

#[async_trait]
impl WebhookEndpoint for InProcessHubspotWebhook {
    fn uri(&self) -> String {
        format!(
            "{}{WEBHOOK_PATH}",
            self.origin.origin().ascii_serialization()
        )
    }

    async fn deliver(
        &self,
        body: &str,
        signature: &str,
        timestamp_millis: i64,
    ) -> Result<u16, String> {
        let ctx = self.context.upgrade().ok_or("the dev server has stopped")?;
        let function = crate::catalog::all()
            .iter()
            .find(|f| {
                f.method_and_path()
                    .is_some_and(|(method, path)| method == Method::POST && path == WEBHOOK_PATH)
            })
            .ok_or("no function serves POST /leads/hubspot")?;
        let host = match (self.origin.host_str(), self.origin.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err("the dev server's origin has no host".into()),
        };
        let request = Request::post(WEBHOOK_PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, host)
            .header("x-forwarded-proto", self.origin.scheme())
            .header(SIGNATURE_HEADER, signature)
            .header(TIMESTAMP_HEADER, timestamp_millis.to_string())
            .body(Body::from(body.to_owned()))
            .map_err(|e| e.to_string())?;
        let response = crate::lambda::webhook_app(&ctx, function)
            .oneshot(request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }
}
