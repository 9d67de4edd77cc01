//! The function kinds of real-time delivery: the routes of the API Gateway
//! WebSocket API (`$connect`, `$disconnect`, `$default`) and rules on the
//! system's event bus (events of given detail-types, e.g. the broadcaster).
//! Neither is an HTTP route: the dev server serves its own `GET /ws` over
//! the same handlers and never mounts these.

use axum::http::HeaderMap;
use futures::future::BoxFuture;

use pc_platform::AppState;
pub use pc_platform::bus::BusEvent;

use crate::error::ApiError;
use crate::functions::{Access, Function, Permissions, Trigger, WorkerError};

/// A route of the WebSocket API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketRoute {
    /// A socket opens: refused (401) unless its caller is authenticated.
    Connect,
    /// A socket closed.
    Disconnect,
    /// Any message from the client.
    Default,
}

impl SocketRoute {
    /// API Gateway's route key.
    pub fn key(self) -> &'static str {
        match self {
            SocketRoute::Connect => "$connect",
            SocketRoute::Disconnect => "$disconnect",
            SocketRoute::Default => "$default",
        }
    }
}

/// One WebSocket API event, as a socket handler sees it.
#[derive(Clone, Debug, Default)]
pub struct SocketRequest {
    pub connection_id: String,
    /// The upgrade request's headers (`$connect` only; the cookie is here).
    pub headers: HeaderMap,
    /// The upgrade request's query string (`$connect` only; `token=`).
    pub query: Option<String>,
    /// The client's message (`$default`).
    pub body: Option<String>,
}

pub type SocketFn =
    for<'a> fn(&'a AppState, &'a SocketRequest) -> BoxFuture<'a, Result<(), ApiError>>;
pub type BusRuleFn =
    for<'a> fn(&'a AppState, &'a BusEvent) -> BoxFuture<'a, Result<(), WorkerError>>;

impl Function {
    /// A route of the WebSocket API.
    pub fn socket(
        name: &'static str,
        route: SocketRoute,
        permissions: Permissions,
        handler: SocketFn,
    ) -> Self {
        Self::unrouted(name, Trigger::Socket(route, handler), permissions)
    }

    /// A rule on the system's bus for events of `detail_types`.
    pub fn bus_rule(
        name: &'static str,
        detail_types: &'static [&'static str],
        permissions: Permissions,
        handler: BusRuleFn,
    ) -> Self {
        Self::unrouted(name, Trigger::BusRule(detail_types, handler), permissions)
    }

    /// A function no HTTP caller reaches: its checks are its handler's.
    fn unrouted(name: &'static str, trigger: Trigger, permissions: Permissions) -> Self {
        Self {
            name,
            trigger,
            access: Access::Public,
            permissions,
            body_limit: 0,
            open_to_pending_partners: false,
            scaling: None,
        }
    }
}

/// A WebSocket API route: `socket!(name, route, permissions, async fn(&AppState, &SocketRequest))`.
#[macro_export]
macro_rules! socket {
    ($name:expr, $route:expr, $perms:expr, $handler:path) => {{
        fn run<'a>(
            ctx: &'a $crate::AppState,
            request: &'a $crate::socket_functions::SocketRequest,
        ) -> $crate::BoxFuture<'a, Result<(), $crate::ApiError>> {
            Box::pin($handler(ctx, request))
        }
        $crate::functions::Function::socket($name, $route, $perms, run)
    }};
}

/// A bus rule: `bus_rule!(name, detail_types, permissions, async fn(&AppState, &BusEvent))`.
#[macro_export]
macro_rules! bus_rule {
    ($name:expr, $types:expr, $perms:expr, $handler:path) => {{
        fn run<'a>(
            ctx: &'a $crate::AppState,
            event: &'a $crate::socket_functions::BusEvent,
        ) -> $crate::BoxFuture<'a, Result<(), $crate::functions::WorkerError>> {
            Box::pin($handler(ctx, event))
        }
        $crate::functions::Function::bus_rule($name, $types, $perms, run)
    }};
}
