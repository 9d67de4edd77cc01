//! The OpenAPI 3.1 document, assembled from the handlers' own annotations
//! in the function table, so it cannot drift from the code, and the
//! Swagger UI that shows it (assets vendored into the binary).
//!
//! The error answers and the security of each operation are not left to
//! each annotation: [`complete_operation`] derives them from the function's
//! table entry, so a client generated from the document handles every
//! status an operation can answer. Every answer's `id` is shown with its
//! `_id` twin (see `legacy_ids`).

use axum::Router;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::server::{Server, ServerBuilder, ServerVariableBuilder};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    ResponseBuilder,
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

/// The statuses an operation of `function` at `path` can answer besides its
/// successes, each with why: derived from the table entry and the
/// operation's shape. Handlers declare the rest (409, 429, ...).
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
    if operation.request_body.is_some() {
        statuses.push((413, "the body is larger than the operation accepts"));
    }
    statuses.push((500, "an unexpected failure (logged)"));
    statuses.push((503, "a dependency is unavailable; retry"));
    statuses
}

/// The document for every deployed HTTP function of `functions`.
pub fn document(functions: &[Function]) -> OpenApi {
    let mut paths = Paths::new();
    let mut error_schemas = Vec::new();
    <ErrorBody as ToSchema>::schemas(&mut error_schemas);
    let mut components = ComponentsBuilder::new()
        .schema_from::<ErrorBody>()
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
                .build(),
        )
        .servers(Some(api_servers()))
        .paths(paths)
        .components(Some(components.build()))
        .build();
    crate::legacy_ids::document_legacy_ids(&mut document);
    document
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
        if is_error && response.content.is_empty() {
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
