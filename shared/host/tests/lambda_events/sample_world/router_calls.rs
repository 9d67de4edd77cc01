//! Requests through the whole router, as the world's builders make them:
//! JSON or raw bodies, signed in by cookie, with the answer's status, body
//! and cookies.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// One JSON request through the whole router; a non-2xx answer is an error.
pub(super) async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(Value, Vec<String>), String> {
    let body = body.map(|b| ("application/json".to_owned(), b.to_string()));
    call_raw(app, method, path, token, body).await
}

/// One request with a body of the given content type.
pub(super) async fn call_raw(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(String, String)>,
) -> Result<(Value, Vec<String>), String> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("accessToken={token}"));
    }
    let request = match body {
        Some((content_type, body)) => request
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body)),
        None => request.body(Body::empty()),
    }
    .map_err(|e| e.to_string())?;
    let (status, body, cookies) = send(app, request).await?;
    if !status.is_success() {
        return Err(format!("{method} {path} answered {status}: {body}"));
    }
    Ok((body, cookies))
}

/// One request through the whole router: its status, JSON body (`null`
/// when there is none) and cookies set.
pub(super) async fn send(
    app: &Router,
    request: Request<Body>,
) -> Result<(axum::http::StatusCode, Value, Vec<String>), String> {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, body, cookies))
}
