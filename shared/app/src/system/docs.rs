//! `GET /api/docs/openapi.json`: the OpenAPI 3.1 document of every deployed
//! HTTP function, built once per process from the handlers' annotations in
//! the function table. A function of its own, so the deployed API serves it
//! too (the Swagger UI that reads it is served by the dev server).

use std::sync::OnceLock;

use axum::Json;
use utoipa::openapi::OpenApi;

use crate::catalog;

/// The API's OpenAPI document.
#[utoipa::path(get, path = "/api/docs/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API")))]
pub async fn openapi_json() -> Json<&'static OpenApi> {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    Json(DOCUMENT.get_or_init(|| pc_api::openapi::document(catalog::all())))
}
