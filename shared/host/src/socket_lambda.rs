//! The event-to-handler steps of real-time delivery's functions: a route
//! of the API Gateway WebSocket API (its proxy event in, a status code
//! out: API Gateway closes the upgrade unless `$connect` answers 2xx) and
//! a rule on the event bus (an EventBridge event in; an error makes
//! EventBridge retry it, then dead-letter it).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};

use pc_http::AppState;
use pc_http::functions::WorkerError;
use pc_http::socket_functions::{BusEvent, BusRuleFn, SocketFn, SocketRequest, SocketRoute};

/// The handler's view of a WebSocket API event. The query string is
/// rebuilt from API Gateway's parsed parameters (it keeps no raw one).
pub fn socket_request(event: &ApiGatewayWebsocketProxyRequest) -> SocketRequest {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (name, value) in event.query_string_parameters.iter() {
        query.append_pair(name, value);
        any = true;
    }
    SocketRequest {
        connection_id: event
            .request_context
            .connection_id
            .clone()
            .unwrap_or_default(),
        headers: event.headers.clone(),
        query: any.then(|| query.finish()),
        body: event.body.clone(),
    }
}

fn response(status: u16, body: Option<Value>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    response.body = body.map(|b| Body::Text(b.to_string()));
    response
}

/// Runs the route's handler; a refusal is its status with the usual error
/// body (on `$connect`, 401 without a valid token: the socket never opens).
/// An event for another route is a 400, never run by the wrong handler.
pub async fn handle_socket(
    ctx: &AppState,
    name: &str,
    route: SocketRoute,
    handler: SocketFn,
    event: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let key = event
        .request_context
        .route_key
        .as_deref()
        .unwrap_or_default();
    if key != route.key() {
        tracing::error!(function = name, route = key, "event of another route");
        return response(400, None);
    }
    let request = socket_request(&event);
    if request.connection_id.is_empty() {
        tracing::error!(function = name, "WebSocket event without a connection id");
        return response(400, None);
    }
    match handler(ctx, &request).await {
        Ok(()) => response(200, None),
        Err(e) => {
            tracing::info!(function = name, connection = %request.connection_id,
                status = e.status.as_u16(), "socket refused");
            let body =
                json!({"error": {"code": e.code, "message": e.message, "details": e.details}});
            response(e.status.as_u16(), Some(body))
        }
    }
}

/// Runs a bus rule's handler on one EventBridge event.
pub async fn handle_bus_rule(
    ctx: &AppState,
    name: &str,
    handler: BusRuleFn,
    event: EventBridgeEvent<Value>,
) -> Result<(), WorkerError> {
    let event = BusEvent {
        detail_type: event.detail_type,
        detail: event.detail,
    };
    handler(ctx, &event).await.inspect_err(|e| {
        tracing::warn!(function = name, event = %event.detail_type, error = %e, "bus rule failed");
    })
}

#[cfg(test)]
mod tests;
