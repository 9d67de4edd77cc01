//! One request of a benchmarked function, built both as the Lambda event
//! the Runtime API hands to a binary and as the request the in-process
//! handler takes.

use anyhow::{Context, bail};
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use pc_http::functions::{Function, Trigger};

use crate::seed::{MEETING_TYPE, Seeded, request};

/// One request of a benchmarked function, in both of its forms.
pub struct Invocation {
    /// The Lambda event, as the Runtime API hands it to the binary.
    pub event: Value,
    /// The same request for the in-process handler.
    pub local: Local,
}

pub enum Local {
    Http(Request<Body>),
    Sqs(SqsEvent),
    Schedule(EventBridgeEvent<Value>),
    Socket(Box<ApiGatewayWebsocketProxyRequest>),
    Bus(EventBridgeEvent<Value>),
}

pub fn http_event(
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: Value,
    body: Option<&Value>,
) -> Value {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "cookies": token.map(|t| vec![format!("accessToken={t}")]).unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.example",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "21/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "pc-bench"}
        },
        "body": body.map(Value::to_string),
        "isBase64Encoded": false
    })
}

fn sqs_event(body: &Value) -> Value {
    json!({"Records": [{
        "messageId": chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default().to_string(),
        "receiptHandle": "bench", "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0",
                       "SenderId": "bench", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench", "awsRegion": "us-east-1"
    }]})
}

fn socket_event(route_key: &str, connection_id: &str) -> Value {
    json!({"headers": {"Host": "bench.example"}, "isBase64Encoded": false,
           "requestContext": {"apiId": "bench", "connectedAt": 0, "connectionId": connection_id,
               "domainName": "bench.example", "eventType": "DISCONNECT", "extendedRequestId": "bench",
               "identity": {"sourceIp": "127.0.0.1"}, "messageDirection": "IN", "requestId": "bench",
               "requestTimeEpoch": 0, "routeKey": route_key, "stage": "prod"}})
}

/// An event the broadcaster forwards to every connection but the seller's
/// (none are open: the benchmark times finding the audience).
fn bus_event(seller: &str, n: usize) -> Value {
    json!({"version": "0", "id": format!("bench-{n}"), "detail-type": "lead-listed",
           "source": "partner-connector", "account": "123456789012", "time": "2026-11-21T09:00:00Z",
           "region": "us-east-1", "resources": [],
           "detail": {"leadId": format!("bench-lead-{n}"), "sellerId": seller, "price": 250}})
}

fn scheduler_event() -> Value {
    json!({"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.scheduler",
           "account": "123456789012", "time": "2026-11-21T17:00:00Z", "region": "us-east-1",
           "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/bench"], "detail": {}})
}

/// A fresh request of `function` (workers get a new message each time, so
/// exactly-once guards do not short-circuit the work).
pub fn invocation(
    function: &Function,
    seeded: &Seeded,
    secret: &str,
    n: usize,
) -> anyhow::Result<Invocation> {
    let token = seeded.token.as_str();
    Ok(match (function.name, function.trigger) {
        ("leads-create", _) => {
            let body = json!({"partnerId": seeded.partner_id,
                "email": format!("created{n}-{}@bench.example", std::process::id()),
                "firstName": "Bench", "lastName": format!("Created {n}"), "company": "Bench Co"});
            let path = "/v1/leads";
            Invocation {
                event: http_event(
                    "POST",
                    path,
                    Some(token),
                    json!({"content-type": "application/json"}),
                    Some(&body),
                ),
                local: Local::Http(request("POST", path, Some(token), Some(&body))),
            }
        }
        ("meetings-chilipiper-webhook", _) => {
            let body = json!({"meetingIdChili": format!("bench-{n}"), "eventType": "created",
                "meetingTypeName": MEETING_TYPE, "title": "Intro", "startTime": "2030-01-15T17:00:00Z",
                "endTime": "2030-01-15T17:30:00Z", "guests": [{"email": format!("guest{n}@bench.example")}]});
            let path = "/v1/meetings/webhooks/chilipiper";
            let mut local = request("POST", path, None, Some(&body));
            local
                .headers_mut()
                .insert("x-webhook-secret", secret.parse()?);
            Invocation {
                event: http_event(
                    "POST",
                    path,
                    None,
                    json!({"content-type": "application/json", "x-webhook-secret": secret}),
                    Some(&body),
                ),
                local: Local::Http(local),
            }
        }
        (_, Trigger::Http(_)) => {
            let (method, path) = function.method_and_path().context("an HTTP route")?;
            Invocation {
                event: http_event(method.as_str(), &path, Some(token), json!({}), None),
                local: Local::Http(request(method.as_str(), &path, Some(token), None)),
            }
        }
        (_, Trigger::Queue(..)) => {
            let job = json!({"id": format!("bench-{n}-{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()),
                "kind": "password_reset", "to": "someone@bench.example",
                "data": {"name": "Bench", "link": "http://localhost:3001/reset-password?token=x"}});
            let event = sqs_event(&job);
            Invocation {
                local: Local::Sqs(serde_json::from_value(event.clone())?),
                event,
            }
        }
        (_, Trigger::Schedule(..)) => {
            let event = scheduler_event();
            Invocation {
                local: Local::Schedule(serde_json::from_value(event.clone())?),
                event,
            }
        }
        (_, Trigger::Socket(route, _)) => {
            let event = socket_event(route.key(), &format!("bench-connection-{n}"));
            Invocation {
                local: Local::Socket(Box::new(serde_json::from_value(event.clone())?)),
                event,
            }
        }
        (_, Trigger::BusRule(..)) => {
            let event = bus_event(&seeded.partner_id, n);
            Invocation {
                local: Local::Bus(serde_json::from_value(event.clone())?),
                event,
            }
        }
        _ => bail!("{} is not benchmarked", function.name),
    })
}
