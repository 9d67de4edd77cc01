//! The OpenAPI 3.1 document, assembled from the handlers' own annotations
//! in the function table, so it cannot drift from the code, and the
//! Swagger UI that shows it (assets vendored into the binary).

use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths};
use utoipa_swagger_ui::SwaggerUi;

use crate::functions::{Function, Trigger};

/// The document for every deployed HTTP function of `functions`.
pub fn document(functions: &[Function]) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("accessToken"))),
        )
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    for function in functions {
        let route = match function.trigger {
            Trigger::Http(r) | Trigger::Webhook(r) => r,
            _ => continue,
        };
        let (schemas, function_paths, _) = route();
        for (name, schema) in schemas {
            components = components.schema(name, schema);
        }
        paths.merge(function_paths);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Partner Connector API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Lead marketplace backend. Sessions use the accessToken cookie or a bearer token."))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// The Swagger UI at `/api/docs`, reading the document that the
/// `api-docs-openapi` function serves at `/api/docs/openapi.json`.
pub fn docs_router() -> Router {
    SwaggerUi::new("/api/docs")
        .config(utoipa_swagger_ui::Config::from("/api/docs/openapi.json"))
        .into()
}
