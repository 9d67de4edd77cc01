//! The OpenAPI 3.1 document, assembled from the handlers' own annotations
//! in the function table, so it cannot drift from the code, and the
//! Swagger UI that shows it (assets vendored into the binary).
//!
//! The error answers, the security and the description of each operation
//! are not left to each annotation: [`complete_operation`] derives them
//! from the function's table entry, so a client generated from the
//! document handles every status an operation can answer, including the
//! ones API Gateway answers itself in its own shape ([`GatewayMessage`]).
//! Every answer's `id` is shown with its `_id` twin (see `legacy_ids`),
//! every tag is described ([`TAGS`]) and every schema has an example
//! (`openapi_examples`).

use axum::Router;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, OneOfBuilder, Schema};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::server::{Server, ServerBuilder, ServerVariableBuilder};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Paths,
    Ref, RefOr, ResponseBuilder,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ErrorBody;
use crate::functions::{Access, Function, Trigger};

/// The security scheme of the `accessToken` session cookie.
pub const COOKIE_SCHEME: &str = "cookie";
/// The security scheme of an `Authorization: Bearer <JWT>` header.
pub const BEARER_SCHEME: &str = "bearer";
/// The security scheme of the public partner API: `Authorization: Bearer
/// pcp_…`, a partner API token.
pub const PARTNER_TOKEN_SCHEME: &str = "partnerToken";

/// The body API Gateway answers with when it refuses a request before the
/// function runs (its throttle's 429, its payload limit's 413) or when the
/// function failed or timed out (500, 503): `{"message": "..."}`.
// No other member: what tells it from the error body for a client.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Too Many Requests"}))]
#[allow(dead_code)]
pub struct GatewayMessage {
    /// API Gateway's text: `Too Many Requests`, `Request Entity Too
    /// Large`, `Internal Server Error` or `Service Unavailable`.
    message: String,
}

/// The statuses of an HTTP API route that API Gateway may answer itself,
/// in its [`GatewayMessage`] shape, as well as the function in the error
/// body.
pub const GATEWAY_STATUSES: [u16; 4] = [413, 429, 500, 503];

/// Every tag an operation may carry, with what it groups. A new tag is
/// described here (the document's test fails on one that is not).
pub const TAGS: &[(&str, &str)] = &[
    ("auth", "Sign-in, sessions, registration and password reset"),
    ("users", "The users of the platform and of each partner"),
    (
        "partners",
        "Partner companies: profile, status, billing settings, API tokens, webhook deliveries",
    ),
    (
        "leads",
        "Leads: the list, one lead, changes, notes, imports, magic links",
    ),
    (
        "marketplace",
        "The lead marketplace: listings, reservations and purchases between partners",
    ),
    (
        "billing",
        "Invoices, credits, charges and Stripe Connect payouts",
    ),
    (
        "referral portal",
        "The referral partners' own portal: their leads, commissions and payout profile",
    ),
    (
        "partner-api",
        "The public partner API, called with a partner API token",
    ),
    (
        "hubspot",
        "The HubSpot sync: sync runs, tasks and conflicts between both sides",
    ),
    (
        "integrations",
        "Connecting a partner's HubSpot portal (OAuth) and its pipeline",
    ),
    ("meetings", "Meetings booked on leads (ChiliPiper)"),
    (
        "activities",
        "Each partner's activity feed and unread count",
    ),
    ("events", "The audit log of every change"),
    (
        "analytics",
        "Reports: per partner and marketplace-wide counts by month",
    ),
    (
        "realtime",
        "Tickets for the WebSocket API that pushes activities live",
    ),
    (
        "admin",
        "Platform operations: scheduled jobs, their runs, dead letters",
    ),
    (
        "webhooks",
        "Webhooks from third parties (HubSpot, Stripe, ChiliPiper), on their own function URLs",
    ),
    ("system", "Health and this API document"),
];

/// The members of the object schema of `T`, sorted, and the required ones:
/// what a test holds against the members a hand-written parser accepts,
/// where the documented body is a schema of its own.
pub fn object_members<T: utoipa::PartialSchema>() -> (Vec<String>, Vec<String>) {
    let RefOr::T(Schema::Object(schema)) = T::schema() else {
        panic!("not an object schema");
    };
    let mut members: Vec<String> = schema.properties.keys().cloned().collect();
    members.sort_unstable();
    (members, schema.required)
}

/// The statuses an operation of `function` at `path` can answer besides its
/// successes, each with why: derived from the table entry and the
/// operation's shape. Handlers declare the rest (409, ...).
pub fn derived_error_statuses(
    function: &Function,
    path: &str,
    operation: &Operation,
) -> Vec<(u16, &'static str)> {
    let mut statuses = Vec::new();
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    if operation.request_body.is_some() || has_query {
        statuses.push((400, "the input is invalid; details name every bad field"));
    }
    if function.access == Access::PartnerToken {
        statuses.push((401, "no valid API token: missing, unknown or revoked"));
        statuses.push((403, "the token's partner is not active"));
        statuses.push((
            429,
            "too many calls with this token; retry after Retry-After seconds",
        ));
    } else if function.access.is_authenticated() {
        statuses.push((401, "no valid session: sign in (again)"));
        statuses.push((
            403,
            "signed in, but not allowed: the role, the partner's status, or a cross-site cookie request",
        ));
    }
    if path.contains('{') {
        statuses.push((404, "not found, or another partner's"));
    }
    let behind_gateway = matches!(function.trigger, Trigger::Http(_));
    if operation.request_body.is_some() {
        statuses.push((
            413,
            if behind_gateway {
                "the body is larger than the operation accepts (API Gateway's own limit answers in its shape)"
            } else {
                "the body is larger than the operation accepts"
            },
        ));
        let json_body = operation
            .request_body
            .as_ref()
            .is_some_and(|body| body.content.keys().any(|ct| ct == "application/json"));
        if json_body && function.access != Access::Webhook {
            statuses.push((
                415,
                "the body is not sent as one of the documented content types",
            ));
        }
    }
    if behind_gateway {
        statuses.push((
            429,
            "too many requests: API Gateway's throttle (in its shape), or this operation's own limit (the error body, with Retry-After)",
        ));
    }
    statuses.push((
        500,
        "an unexpected failure (logged); API Gateway answers in its shape when the function itself failed",
    ));
    statuses.push((
        503,
        "a dependency is unavailable, or the function timed out (API Gateway's shape); retry",
    ));
    statuses
}

/// The document for every deployed HTTP function of `functions`.
pub fn document(functions: &[Function]) -> OpenApi {
    let mut paths = Paths::new();
    let mut error_schemas = Vec::new();
    <ErrorBody as ToSchema>::schemas(&mut error_schemas);
    let mut components = ComponentsBuilder::new()
        .schema_from::<ErrorBody>()
        .schema_from::<GatewayMessage>()
        .schemas_from_iter(error_schemas)
        .security_scheme(
            COOKIE_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("accessToken"))),
        )
        .security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .security_scheme(
            PARTNER_TOKEN_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pcp_ partner API token")
                    .description(Some(
                        "A partner API token, created by the partner's admins at POST /v1/partners/{id}/api-tokens",
                    ))
                    .build(),
            ),
        );
    for function in functions {
        let route = match function.trigger {
            Trigger::Http(r) | Trigger::Webhook(r) => r,
            _ => continue,
        };
        let (schemas, mut function_paths, _) = route();
        for (name, schema) in schemas {
            components = components.schema(name, schema);
        }
        for (path, item) in function_paths.paths.iter_mut() {
            if matches!(function.trigger, Trigger::Webhook(_)) {
                item.servers = Some(webhook_servers(function.name));
            }
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                complete_operation(function, path, operation);
            }
        }
        paths.merge(function_paths);
    }
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Partner Connector API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Lead marketplace backend. Sessions use the accessToken cookie or a bearer token."))
                .license(Some(
                    LicenseBuilder::new()
                        .name("Proprietary: all rights reserved")
                        .identifier(Some("LicenseRef-Proprietary"))
                        .build(),
                ))
                .build(),
        )
        .servers(Some(api_servers()))
        .paths(paths)
        .components(Some(components.build()))
        .tags(Some(TAGS.iter().map(|(name, description)| {
            TagBuilder::new().name(*name).description(Some(*description)).build()
        })))
        .build();
    crate::legacy_ids::document_legacy_ids(&mut document);
    finish_schemas(document)
}

/// The schema work after the paths are merged: each list answer's rows
/// refer to their row schema (utoipa inlines a generic's argument), and
/// every schema gets an example (computed on the schemas' JSON form).
fn finish_schemas(mut document: OpenApi) -> OpenApi {
    let Some(components) = document.components.as_mut() else {
        return document;
    };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in &names {
        let Some(row) = name.strip_prefix("ListResponse_") else {
            continue;
        };
        if !components.schemas.contains_key(row) {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(list))) = components.schemas.get_mut(name)
            && let Some(RefOr::T(Schema::Array(rows))) = list.properties.get_mut("list")
        {
            rows.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(row))));
        }
    }
    let mut schemas: serde_json::Map<String, Value> = components
        .schemas
        .iter()
        .map(|(name, schema)| {
            let value = serde_json::to_value(schema).expect("a schema serializes");
            (name.clone(), value)
        })
        .collect();
    crate::openapi_examples::add_examples(&mut schemas);
    for (name, schema) in components.schemas.iter_mut() {
        let Some(example) = schemas[name]
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        else {
            continue;
        };
        let examples = match schema {
            RefOr::T(Schema::Object(s)) => &mut s.examples,
            RefOr::T(Schema::Array(s)) => &mut s.examples,
            RefOr::T(Schema::OneOf(s)) => &mut s.examples,
            RefOr::T(Schema::AllOf(s)) => &mut s.examples,
            RefOr::T(Schema::AnyOf(s)) => &mut s.examples,
            _ => continue,
        };
        if examples.is_empty() {
            examples.push(example.clone());
        }
    }
    document
}

/// The first sentence of an annotation's text (utoipa puts the whole doc
/// comment in the summary): what a list of operations shows.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .chain(flat.find(": -"))
        .min()
        .unwrap_or(flat.len());
    flat[..end].trim_end_matches(':').to_owned()
}

/// Who may call an operation, as its description says it.
fn access_sentence(function: &Function) -> String {
    let who = match function.access {
        Access::Public => "Open to anyone: no credentials.".to_owned(),
        Access::Webhook => "Called by the third party only: the handler checks its signature or shared secret; no session.".to_owned(),
        Access::SignedIn => "Any signed-in, active user (the `accessToken` cookie or a bearer JWT).".to_owned(),
        Access::Admin => "Admins and owners; a partner's admins only for their own partner.".to_owned(),
        Access::Staff => "Platform staff only: owners and admins without a partner.".to_owned(),
        Access::Owner => "Owners only.".to_owned(),
        Access::PartnerToken => "A partner API token only (`Authorization: Bearer pcp_…`); sessions are refused.".to_owned(),
    };
    let pending = if function.open_to_pending_partners {
        " Open to users of a partner still awaiting approval."
    } else {
        ""
    };
    format!("{who}{pending} Served by the function `{}`.", function.name)
}

/// The local dev server, which serves every route, webhooks included.
fn dev_server() -> Server {
    ServerBuilder::new()
        .url("http://127.0.0.1:{port}")
        .description(Some(
            "The local dev server (every route, webhooks included)",
        ))
        .parameter(
            "port",
            ServerVariableBuilder::new()
                .default_value("3000")
                .description(Some("The dev server's `PORT`")),
        )
        .build()
}

fn region() -> ServerVariableBuilder {
    ServerVariableBuilder::new()
        .default_value("us-east-1")
        .description(Some("The AWS region of the stack"))
}

/// Where the HTTP API's routes are served: the deployed HTTP API (the
/// stack's `ApiUrl` output) and the dev server.
pub fn api_servers() -> Vec<Server> {
    vec![
        ServerBuilder::new()
            .url("https://{apiId}.execute-api.{region}.amazonaws.com")
            .description(Some("The deployed HTTP API: the stack's `ApiUrl` output"))
            .parameter(
                "apiId",
                ServerVariableBuilder::new()
                    .default_value("api-id")
                    .description(Some("The id of the stack's HTTP API")),
            )
            .parameter("region", region())
            .build(),
        dev_server(),
    ]
}

/// Where the webhook `function` is served: its own function URL (an output
/// of the stack), not the HTTP API, which answers 404 on its path; and the
/// dev server.
pub fn webhook_servers(function: &str) -> Vec<Server> {
    vec![
        ServerBuilder::new()
            .url("https://{urlId}.lambda-url.{region}.on.aws")
            .description(Some(format!(
                "The function URL of `{function}` (an output of the stack); the HTTP API does not serve this path"
            )))
            .parameter(
                "urlId",
                ServerVariableBuilder::new()
                    .default_value("url-id")
                    .description(Some(format!("The id of `{function}`'s function URL"))),
            )
            .parameter("region", region())
            .build(),
        dev_server(),
    ]
}

/// Adds the derived error answers (those the annotation already lists get
/// the error body), gives every 4xx/5xx the error body, and sets the
/// security from the function's access: the cookie or a bearer token for
/// session routes, the partner API token for the public partner API, none
/// for public ones and webhooks (which prove themselves with a shared
/// secret).
pub fn complete_operation(function: &Function, path: &str, operation: &mut Operation) {
    if operation.description.is_none()
        && let Some(text) = operation.summary.take()
    {
        operation.summary = Some(first_sentence(&text));
        operation.description = Some(format!("{text}\n\n{}", access_sentence(function)));
    }
    let behind_gateway = matches!(function.trigger, Trigger::Http(_));
    for (status, description) in derived_error_statuses(function, path, operation) {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(ResponseBuilder::new().description(description).build()));
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        let RefOr::T(response) = response else {
            continue;
        };
        if is_error && response.description.is_empty() {
            response.description = status
                .parse::<u16>()
                .ok()
                .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason())
                .unwrap_or("error")
                .to_owned();
        }
        let from_gateway = behind_gateway
            && status
                .parse::<u16>()
                .is_ok_and(|code| GATEWAY_STATUSES.contains(&code));
        if from_gateway {
            response.content.insert(
                "application/json".to_owned(),
                ContentBuilder::new()
                    .schema(Some(
                        OneOfBuilder::new()
                            .item(Ref::from_schema_name(ErrorBody::name()))
                            .item(Ref::from_schema_name(GatewayMessage::name())),
                    ))
                    .build(),
            );
        } else if is_error && response.content.is_empty() {
            response.content.insert(
                "application/json".to_owned(),
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                    .build(),
            );
        }
    }
    operation.security = Some(if function.access == Access::PartnerToken {
        vec![SecurityRequirement::new(
            PARTNER_TOKEN_SCHEME,
            Vec::<String>::new(),
        )]
    } else if function.access.is_authenticated() {
        vec![
            SecurityRequirement::new(COOKIE_SCHEME, Vec::<String>::new()),
            SecurityRequirement::new(BEARER_SCHEME, Vec::<String>::new()),
        ]
    } else {
        Vec::new()
    });
}

/// The Swagger UI at `/api/docs`, reading the document that the
/// `api-docs-openapi` function serves at `/api/docs/openapi.json`.
pub fn docs_router() -> Router {
    SwaggerUi::new("/api/docs")
        .config(utoipa_swagger_ui::Config::from("/api/docs/openapi.json"))
        .into()
}
