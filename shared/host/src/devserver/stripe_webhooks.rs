//! Delivers the fake Stripe's events to the Stripe webhook functions in
//! process (the platform's, and the Connect endpoint's for connected
//! accounts' events), through the same router their function URLs serve in
//! Lambda, with the raw body and the `Stripe-Signature` header. The fake's
//! call returns once the function answered, so what follows can drain the
//! queue.

use std::sync::Weak;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

use pc_platform::AppContext;
use pc_platform::payments::fake::WebhookEndpoint;
use pc_platform::payments::signature;

/// A Stripe webhook function of one dev server.
pub struct InProcessStripeWebhook {
    /// Weak: the context owns the fake that owns this endpoint.
    pub context: Weak<AppContext>,
    /// `billing_stripe_webhook` or `billing_stripe_connect_webhook`.
    pub function: fn() -> pc_http::Function,
}

#[async_trait]
impl WebhookEndpoint for InProcessStripeWebhook {
    async fn deliver(&self, body: &str, signature_header: &str) -> Result<u16, String> {
        let ctx = self.context.upgrade().ok_or("the dev server has stopped")?;
        let function = (self.function)();
        let path = function
            .method_and_path()
            .map(|(_, path)| path)
            .unwrap_or_else(|| "/".into());
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(signature::HEADER, signature_header)
            .body(Body::from(body.to_owned()))
            .map_err(|e| e.to_string())?;
        let response = crate::lambda::webhook_app(&ctx, &function)
            .oneshot(request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }
}
