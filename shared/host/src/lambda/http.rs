//! The HTTP triggers: a route of the HTTP API, with the source IP API
//! Gateway vouches for, and a webhook behind its function URL. Both are
//! axum routers that `lambda_http` runs, so tests call them without Lambda.

use axum::Router;
use tower_http::trace::TraceLayer;

use pc_accounts::client_ip::SourceIp;
use pc_http::functions::Function;
use pc_http::{AppState, router};

/// The router of one HTTP function behind the HTTP API: its route with the
/// auth layer, and the layers every HTTP router gets.
pub fn http_app(ctx: &AppState, function: &Function) -> Router {
    router::with_common_layers(
        router::functions_router(ctx, std::slice::from_ref(function)),
        &ctx.config,
    )
    .layer(axum::middleware::map_request(vouched_source_ip))
}

/// Puts API Gateway's `requestContext.http.sourceIp` (the address it saw,
/// not anything the client wrote) on the request, for rate limits.
async fn vouched_source_ip<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    use lambda_http::request::RequestContext;
    let ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        _ => None,
    };
    if let Some(ip) = ip {
        request.extensions_mut().insert(SourceIp(ip));
    }
    request
}

/// The router of one webhook behind its function URL: the handler answers
/// any path (the URL is the function's own), with the raw body bytes
/// (lambda_http decodes a base64 function-URL body before it gets here).
pub fn webhook_app(ctx: &AppState, function: &Function) -> Router {
    router::webhook_router(ctx, function).layer(TraceLayer::new_for_http())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_source_ip_is_api_gateways_never_a_header() {
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
        use lambda_http::request::RequestContext;
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.9".into());
        let mut request = axum::http::Request::builder()
            .header("x-forwarded-for", "10.0.0.1")
            .body(())
            .unwrap();
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(context));
        let request = vouched_source_ip(request).await;
        assert_eq!(
            request.extensions().get::<SourceIp>(),
            Some(&SourceIp([203, 0, 113, 9].into()))
        );
        let bare = vouched_source_ip(axum::http::Request::new(())).await;
        assert_eq!(bare.extensions().get::<SourceIp>(), None);
    }
}
