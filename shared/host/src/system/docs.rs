//! `GET /api/docs/openapi.json`: the OpenAPI 3.1 document of every deployed
//! HTTP function. The generator (`cargo run -p pc-infra -- generate`) writes
//! it to `docs/openapi.json` from the handlers' annotations in the function
//! table, and its drift test fails when the file is stale. This function
//! serves that file as it is, so its binary links no other handler (building
//! the document here linked all of them: 10 MB instead of a few). A function
//! of its own, so the deployed API serves it too (the Swagger UI that reads
//! it is served by the dev server).

use axum::http::header;
use axum::response::IntoResponse;

/// The API's OpenAPI document, as generated.
pub const DOCUMENT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/openapi.json"
));

/// The API's OpenAPI document.
#[utoipa::path(get, path = "/api/docs/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API",
        body = std::collections::HashMap<String, serde_json::Value>, content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
