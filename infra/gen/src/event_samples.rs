//! The starting sample event of each function, written to
//! `events/<name>.json` when missing (never over an existing one: the
//! capability engineers tune the bodies). Each has its trigger's shape:
//! API Gateway HTTP API payload 2.0 for routes, a function URL request
//! (base64 body) for webhooks, an SQS batch for workers and the default
//! EventBridge Scheduler event for schedules. A route that needs a
//! signed-in caller gets the cookie `accessToken={{ACCESS_TOKEN}}`, a
//! placeholder the sample test fills with a token of its seeded owner (and
//! a user of `sam local invoke -e` with a real one, see infra/README.md);
//! a route of the public partner API gets `Authorization: Bearer
//! {{PARTNER_API_TOKEN}}` instead, filled with a partner API token.

use base64::Engine;
use serde_json::{Map, Value, json};

use pc_http::Access;
use pc_http::functions::{Function, Trigger};
use pc_http::socket_functions::SocketRoute;

use crate::names::path_parameters;
use crate::template::NAME_PREFIX;

pub const SAMPLE_DIR: &str = "events";

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const API_ID: &str = "a1b2c3d4e5";
const URL_ID: &str = "abcdefghijklmnopqrstuvwxyz012345";
const SOURCE_IP: &str = "203.0.113.10";
const USER_AGENT: &str = "Mozilla/5.0 (sample)";
const TIME: &str = "21/Nov/2026:09:00:00 +0000";
const TIME_EPOCH: u64 = 1_795_251_600_000;
const REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";

/// The path of a function's sample, relative to the workspace root.
pub fn sample_path(name: &str) -> String {
    format!("{SAMPLE_DIR}/{name}.json")
}

/// A value for a path parameter: an id-like value for ids, a word otherwise.
fn parameter_value(name: &str) -> &'static str {
    if name == "id" || name.ends_with("Id") {
        "01JDSAMPLE0000000000000000"
    } else {
        "sample"
    }
}

fn request_context(
    api_id: &str,
    domain: &str,
    account: &str,
    method: &str,
    path: &str,
    route_key: &str,
) -> Value {
    json!({
        "accountId": account,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": SOURCE_IP,
            "userAgent": USER_AGENT,
        },
        "requestId": REQUEST_ID,
        "routeKey": route_key,
        "stage": "$default",
        "time": TIME,
        "timeEpoch": TIME_EPOCH,
    })
}

fn headers(domain: &str, with_body: bool) -> Value {
    let mut headers = json!({
        "accept": "application/json",
        "host": domain,
        "user-agent": USER_AGENT,
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    });
    if with_body {
        headers["content-type"] = json!("application/json");
    }
    headers
}

fn http_sample(function: &Function) -> Option<Value> {
    let (method, path) = function.method_and_path()?;
    let parameters: Map<String, Value> = path_parameters(&path)
        .into_iter()
        .map(|p| {
            let value = parameter_value(&p);
            (p, json!(value))
        })
        .collect();
    let raw_path = parameters.iter().fold(path.clone(), |raw, (name, value)| {
        raw.replace(&format!("{{{name}}}"), value.as_str().unwrap_or_default())
            .replace(&format!("{{*{name}}}"), value.as_str().unwrap_or_default())
    });
    let api_path = crate::names::api_path(&path);
    let route_key = format!("{method} {api_path}");
    let domain = format!("{API_ID}.execute-api.{REGION}.amazonaws.com");
    let with_body = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": headers(&domain, with_body),
        "requestContext": request_context(API_ID, &domain, ACCOUNT, method.as_str(), &raw_path, &route_key),
        "isBase64Encoded": false,
    });
    if !parameters.is_empty() {
        event["pathParameters"] = Value::Object(parameters);
    }
    if with_body {
        event["body"] = json!("{}");
    }
    if function.access == Access::PartnerToken {
        event["headers"]["authorization"] = json!("Bearer {{PARTNER_API_TOKEN}}");
    } else if function.access.uses_session() {
        event["cookies"] = json!(["accessToken={{ACCESS_TOKEN}}"]);
    }
    Some(event)
}

fn webhook_sample(function: &Function) -> Value {
    let path = function
        .method_and_path()
        .map(|(_, p)| p)
        .unwrap_or_else(|| "/".into());
    let domain = format!("{URL_ID}.lambda-url.{REGION}.on.aws");
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers(&domain, true),
        "requestContext": request_context(URL_ID, &domain, "anonymous", "POST", &path, "$default"),
        // Function URLs often deliver the body base64-encoded.
        "body": base64::engine::general_purpose::STANDARD.encode("{}"),
        "isBase64Encoded": true,
    })
}

fn sqs_sample(queue: &str) -> Value {
    json!({
        "Records": [{
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": "{}",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1795251600000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1795251600001",
            },
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME_PREFIX}-prod-{queue}"),
            "awsRegion": REGION,
        }],
    })
}

fn schedule_sample(function: &Function) -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": "2026-11-21T09:00:00Z",
        "region": REGION,
        "resources": [format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{NAME_PREFIX}-prod-{}", function.name)],
        "detail": "{}",
    })
}

fn stream_sample(entity: &str) -> Value {
    json!({
        "Records": [{
            "eventID": "c4ca4238a0b923820dcc509a6f75849b",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": REGION,
            "dynamodb": {
                "ApproximateCreationDateTime": 1795251600,
                "Keys": {"pk": {"S": "OUTBOX#01JSAMPLE00000000000000000"}, "sk": {"S": "OUTBOX"}},
                "NewImage": {
                    "pk": {"S": "OUTBOX#01JSAMPLE00000000000000000"},
                    "sk": {"S": "OUTBOX"},
                    "entity": {"S": entity},
                },
                "SequenceNumber": "111",
                "SizeBytes": 26,
                "StreamViewType": "NEW_IMAGE",
            },
            "eventSourceARN": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{NAME_PREFIX}-prod-table/stream/2026-11-21T00:00:00.000"),
        }],
    })
}

/// A WebSocket API event of `route`; `$connect` comes from the SPA's
/// origin with a partner admin's connection ticket in `?ticket=`.
fn socket_sample(route: SocketRoute) -> Value {
    let (event_type, direction) = match route {
        SocketRoute::Connect => ("CONNECT", "IN"),
        SocketRoute::Disconnect => ("DISCONNECT", "IN"),
        SocketRoute::Default => ("MESSAGE", "IN"),
    };
    let mut event = json!({
        "headers": {"Host": format!("{API_ID}.execute-api.{REGION}.amazonaws.com")},
        "requestContext": {
            "routeKey": route.key(),
            "eventType": event_type,
            "messageDirection": direction,
            "connectionId": "ZsampleConnId=",
            "connectedAt": 1795251600000_i64,
            "requestTimeEpoch": 1795251600001_i64,
            "requestId": "ZsampleReqId=",
            "extendedRequestId": "ZsampleReqId=",
            "domainName": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
            "stage": "prod",
            "apiId": API_ID,
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "isBase64Encoded": false,
    });
    match route {
        SocketRoute::Connect => {
            event["headers"]["Origin"] = json!("{{CORS_ORIGIN}}");
            event["queryStringParameters"] = json!({"ticket": "{{REALTIME_TICKET}}"});
            event["multiValueQueryStringParameters"] = json!({"ticket": ["{{REALTIME_TICKET}}"]});
        }
        SocketRoute::Default => {
            event["body"] = json!(r#"{"action":"view-lead","leadId":"{{MARKET_LEAD_ID}}"}"#);
        }
        SocketRoute::Disconnect => {}
    }
    event
}

/// An event of the system's bus of the rule's first detail-type.
fn bus_rule_sample(detail_types: &[&str]) -> Value {
    json!({
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": detail_types.first().copied().unwrap_or_default(),
        "source": pc_aws::bus::eventbridge::SOURCE,
        "account": ACCOUNT,
        "time": "2026-11-21T09:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {},
    })
}

/// The starting sample of `function`, pretty JSON with a final newline.
pub fn sample(function: &Function) -> Option<String> {
    let event = match function.trigger {
        Trigger::Http(_) => http_sample(function)?,
        Trigger::Webhook(_) => webhook_sample(function),
        Trigger::Queue(queue, _) => sqs_sample(queue.as_str()),
        Trigger::Schedule(..) => schedule_sample(function),
        Trigger::TableStream(entity, _) => stream_sample(entity),
        Trigger::Socket(route, _) => socket_sample(route),
        Trigger::BusRule(types, _) => bus_rule_sample(types),
        Trigger::Dev(_) => return None,
    };
    serde_json::to_string_pretty(&event)
        .ok()
        .map(|text| text + "\n")
}
