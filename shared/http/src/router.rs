//! Builds axum routers from the function table: one function (a Lambda)
//! or all of them (the dev server), with the same layers in front: auth per
//! route, path parameters checked as identifiers, body limits, CORS with
//! credentials, request ids, access logs, and JSON answers for every error
//! (unknown routes and methods, framework rejections, panics), and `_id`
//! beside every record's `id` in the answers (`legacy_ids`).

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use pc_platform::AppState;
use pc_platform::config::Config;

use crate::auth::{RouteGuard, auth_layer};
use crate::error::ApiError;
use crate::error_bodies::{json_error_bodies, panic_response};
use crate::functions::{Function, Trigger};
use crate::legacy_ids::legacy_ids;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Adds one HTTP-served function to `router` at its path.
pub fn add_function(
    router: Router<AppState>,
    state: &AppState,
    function: &Function,
) -> Router<AppState> {
    let Some(route) = function.route() else {
        return router;
    };
    let (_, paths, method_router) = route();
    let guard = RouteGuard {
        state: state.clone(),
        access: function.access,
        open_to_pending_partners: function.open_to_pending_partners,
        json_body: takes_json(&paths),
    };
    let method_router = method_router.layer(DefaultBodyLimit::max(function.body_limit));
    // Dev routes take signed keys (uploads) rather than record ids.
    let method_router = if matches!(function.trigger, Trigger::Dev(_)) {
        method_router
    } else {
        method_router.route_layer(from_fn(crate::path_params::check_path_params))
    };
    let method_router = method_router.route_layer(from_fn_with_state(guard, auth_layer));
    paths.paths.keys().fold(router, |router, path| {
        router.route(path, method_router.clone())
    })
}

/// Whether a route's annotated request body is JSON only (a route that
/// also documents another body, such as multipart, checks its own).
fn takes_json(paths: &utoipa::openapi::Paths) -> bool {
    paths.paths.values().any(|item| {
        [&item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
            .filter_map(|operation| operation.request_body.as_ref())
            .any(|body| {
                !body.content.is_empty()
                    && body.content.keys().all(|kind| kind == "application/json")
            })
    })
}

/// A router serving every HTTP-served function of `functions`.
pub fn functions_router(state: &AppState, functions: &[Function]) -> Router {
    functions
        .iter()
        .fold(Router::new(), |router, f| add_function(router, state, f))
        .with_state(state.clone())
}

/// The router of one webhook Lambda: its handler answers whatever path the
/// function URL is called with, as well as its own path.
pub fn webhook_router(state: &AppState, function: &Function) -> Router {
    let Some(route) = function.route() else {
        return Router::new();
    };
    let (_, _, method_router) = route();
    let method_router = method_router.layer(DefaultBodyLimit::max(function.body_limit));
    Router::new()
        .fallback_service(method_router.with_state(state.clone()))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(json_error_bodies))
}

#[derive(Clone, Copy)]
struct UlidRequestId;

impl MakeRequestId for UlidRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&ulid::Ulid::new().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// The layers every HTTP router gets, outermost last.
pub fn with_common_layers(router: Router, config: &Config) -> Router {
    let origin =
        HeaderValue::from_str(&config.cors_origin).unwrap_or(HeaderValue::from_static("null"));
    let cors = CorsLayer::new()
        // Echo the one configured origin, and only to that origin.
        .allow_origin(AllowOrigin::predicate(move |o, _| *o == origin))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, REQUEST_ID])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    router
        .fallback(|| async { ApiError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                crate::ErrorCode::MethodNotAllowed,
                "this path does not take that method",
            )
        })
        .layer(from_fn(legacy_ids))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(json_error_bodies))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(),
                    request_id = %id, user_id = tracing::field::Empty)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, UlidRequestId))
        .layer(cors)
}

/// Whether a function is served by the deployed HTTP API (not dev-only).
pub fn is_deployed_http(function: &Function) -> bool {
    matches!(function.trigger, Trigger::Http(_) | Trigger::Webhook(_))
}
