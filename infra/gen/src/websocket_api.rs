//! The WebSocket API of real-time delivery: in the root stack the
//! `AWS::ApiGatewayV2::Api` (messages routed by their `action`) and an
//! auto-deployed stage with access logs; beside each socket function (its
//! capability's stack) its route and Lambda proxy integration with the
//! permission for API Gateway to invoke it;
//! and what the pushing functions need: the Management API endpoint
//! (`WEBSOCKET_ENDPOINT`) and `execute-api:ManageConnections` on the API's
//! connections. The broadcaster's bus rule is its function's
//! `EventBridgeRule` event (see `template::events`).

use serde_yaml::{Mapping, Value};

use pc_http::functions::{Function, Trigger};

use crate::names::function_id;
use crate::template::{get_att, insert, int, map, r, s, seq, stage_name, sub};

pub const API: &str = "WebSocketApi";
pub const STAGE: &str = "WebSocketStage";
pub const ACCESS_LOGS: &str = "WebSocketApiAccessLogs";
/// Messages are routed by their `action` (`view-lead`, `leave-lead`);
/// anything else reaches `$default`, which reads every message anyway.
pub const ROUTE_SELECTION: &str = "$request.body.action";
/// The Management API's URL, the variable `pc_aws::ApiGatewayPush` reads.
pub const ENDPOINT: &str =
    "https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${WebSocketStage}";

/// True when the template has a WebSocket API: some function is one of
/// its routes.
pub fn needed(functions: &[Function]) -> bool {
    functions
        .iter()
        .any(|f| matches!(f.trigger, Trigger::Socket(..)))
}

/// The API, its stage and access logs (the root stack's part).
pub fn root_resources(resources: &mut Mapping, functions: &[Function]) {
    if !needed(functions) {
        return;
    }
    insert(
        resources,
        API,
        map([
            ("Type", s("AWS::ApiGatewayV2::Api")),
            (
                "Properties",
                map([
                    ("Name", stage_name("websocket")),
                    ("ProtocolType", s("WEBSOCKET")),
                    ("RouteSelectionExpression", s(ROUTE_SELECTION)),
                ]),
            ),
        ]),
    );
    insert(
        resources,
        ACCESS_LOGS,
        map([
            ("Type", s("AWS::Logs::LogGroup")),
            ("Properties", map([("RetentionInDays", int(30))])),
        ]),
    );
    insert(resources, STAGE, stage());
}

/// A socket function's integration, route and invoke permission (in its
/// capability's stack, beside the function).
pub fn function_resources(resources: &mut Mapping, function: &Function) {
    let Trigger::Socket(route, _) = function.trigger else {
        return;
    };
    let id = function_id(function.name);
    // `$connect` checks the origin and the connection ticket (`?ticket=`)
    // itself and answers 401/403 to refuse; the other routes only reach an
    // accepted connection.
    crate::http_routes::proxy_route(
        resources,
        crate::http_routes::ProxyRoute {
            api: API,
            function_id: &id,
            route_key: route.key(),
            integration: vec![(
                "IntegrationUri",
                sub(format!(
                    "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{id}.Arn}}/invocations"
                )),
            )],
            permission_id: format!("{id}WebSocketPermission"),
            source: route.key(),
        },
    );
}

fn stage() -> Value {
    map([
        ("Type", s("AWS::ApiGatewayV2::Stage")),
        (
            "Properties",
            map([
                ("ApiId", r(API)),
                ("StageName", r("Stage")),
                ("AutoDeploy", Value::Bool(true)),
                // The HTTP API's throttling, per route: `$connect` is
                // open to anyone.
                (
                    "DefaultRouteSettings",
                    crate::limits::default_route_settings(),
                ),
                (
                    "AccessLogSettings",
                    map([
                        ("DestinationArn", get_att(ACCESS_LOGS, "Arn")),
                        (
                            "Format",
                            s(
                                r#"{"requestId":"$context.requestId","routeKey":"$context.routeKey","connectionId":"$context.connectionId","status":"$context.status","integrationError":"$context.integrationErrorMessage"}"#,
                            ),
                        ),
                    ]),
                ),
            ]),
        ),
    ])
}

/// The policy of a function that posts to connections: the Management
/// API's `POST /@connections/{id}` (and the 410 it answers) on this API's
/// stage only.
pub fn manage_connections_policy() -> Value {
    map([(
        "Statement",
        seq([map([
            ("Effect", s("Allow")),
            ("Action", seq([s("execute-api:ManageConnections")])),
            (
                "Resource",
                sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${WebSocketStage}/POST/@connections/*",
                ),
            ),
        ])]),
    )])
}

/// The clients' URL of the API, a stack output.
pub fn outputs(outputs: &mut Mapping, functions: &[Function]) {
    if !needed(functions) {
        return;
    }
    insert(
        outputs,
        "WebSocketUrl",
        map([
            (
                "Description",
                s(
                    "URL of the WebSocket API of real-time events (wss://…?ticket=<a ticket from POST /v1/realtime/ticket>)",
                ),
            ),
            (
                "Value",
                sub(
                    "wss://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${WebSocketStage}",
                ),
            ),
        ]),
    );
}
