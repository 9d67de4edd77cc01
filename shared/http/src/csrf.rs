//! Cross-site request forgery defence, applied by the auth layer to every
//! route but webhooks. A browser sends cookies with any request to our
//! domain, whichever site started it, and `SameSite=None` (a supported
//! setting) stops none of them; so an unsafe request (POST, PUT, PATCH,
//! DELETE) that does not carry a bearer token is refused unless it comes
//! from the one SPA origin (`CORS_ORIGIN`): its `Origin` header must be
//! that origin, or, when a browser sends no `Origin`, `Sec-Fetch-Site`
//! must not be `cross-site`. Clients without a browser send neither
//! header. Bearer calls are not affected: a page on another site cannot
//! set `Authorization` without a CORS preflight, which only our origin
//! passes.
//!
//! JSON routes also take only `application/json` bodies: the content
//! types a cross-site form can send without a preflight (`text/plain`,
//! form encodings) never reach a JSON handler.

use crate::ErrorCode;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};

use crate::cookies::bearer_token;
use crate::error::ApiError;

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Whether the request comes from the SPA's origin (or from no browser).
fn same_site(cors_origin: &str, headers: &HeaderMap) -> bool {
    let allowed = cors_origin.trim_end_matches('/');
    match headers.get(header::ORIGIN) {
        Some(origin) => origin
            .to_str()
            .is_ok_and(|o| o.trim_end_matches('/').eq_ignore_ascii_case(allowed)),
        None => headers
            .get("sec-fetch-site")
            .is_none_or(|site| !site.as_bytes().eq_ignore_ascii_case(b"cross-site")),
    }
}

fn cross_site() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::CrossSiteRequest,
        "requests from another site cannot use this session; call from the app or with a bearer token",
    )
}

/// Refuses an unsafe, non-bearer request from another site with 403.
pub fn check_origin(cors_origin: &str, request: &Request) -> Result<(), ApiError> {
    if !is_unsafe(request.method()) || bearer_token(request.headers()).is_some() {
        return Ok(());
    }
    if same_site(cors_origin, request.headers()) {
        Ok(())
    } else {
        Err(cross_site())
    }
}

/// Refuses a WebSocket upgrade from another site with 403, whatever
/// credential it carries: a browser sends `Origin` with every upgrade, and
/// a page elsewhere must not open a socket on the user's session
/// (cross-site WebSocket hijacking).
pub fn check_socket_origin(cors_origin: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    if same_site(cors_origin, headers) {
        Ok(())
    } else {
        Err(cross_site())
    }
}

/// Refuses a body that is not `application/json` on a JSON route with 415.
pub fn check_json_body(request: &Request) -> Result<(), ApiError> {
    if !is_unsafe(request.method()) {
        return Ok(());
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "the body must be JSON, sent with Content-Type: application/json",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    const APP: &str = "https://app.example";

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri("/v1/x");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).unwrap()
    }

    fn origin_status(method: Method, headers: &[(&str, &str)]) -> u16 {
        match check_origin(APP, &request(method, headers)) {
            Ok(()) => 200,
            Err(e) => e.status.as_u16(),
        }
    }

    #[test]
    fn cross_site_unsafe_requests_are_refused() {
        let evil = [
            ("origin", "http://evil.example"),
            ("cookie", "accessToken=t"),
        ];
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(origin_status(method, &evil), 403);
        }
        assert_eq!(origin_status(Method::POST, &[("origin", "null")]), 403);
        assert_eq!(
            origin_status(Method::POST, &[("sec-fetch-site", "cross-site")]),
            403
        );
    }

    #[test]
    fn same_origin_safe_methods_bearer_and_headerless_clients_pass() {
        assert_eq!(origin_status(Method::POST, &[("origin", APP)]), 200);
        assert_eq!(
            origin_status(Method::POST, &[("origin", "HTTPS://APP.EXAMPLE")]),
            200
        );
        assert_eq!(
            origin_status(Method::GET, &[("origin", "http://evil.example")]),
            200
        );
        assert_eq!(
            origin_status(
                Method::POST,
                &[
                    ("origin", "http://evil.example"),
                    ("authorization", "Bearer abc")
                ]
            ),
            200
        );
        assert_eq!(origin_status(Method::POST, &[]), 200);
        assert_eq!(
            origin_status(Method::POST, &[("sec-fetch-site", "same-site")]),
            200
        );
    }

    #[test]
    fn only_json_bodies_reach_json_routes() {
        let status =
            |headers: &[(&str, &str)]| match check_json_body(&request(Method::POST, headers)) {
                Ok(()) => 200,
                Err(e) => e.status.as_u16(),
            };
        assert_eq!(status(&[("content-type", "application/json")]), 200);
        assert_eq!(
            status(&[("content-type", "application/json; charset=utf-8")]),
            200
        );
        assert_eq!(status(&[("content-type", "text/plain")]), 415);
        assert_eq!(
            status(&[("content-type", "application/x-www-form-urlencoded")]),
            415
        );
        assert_eq!(status(&[]), 415);
    }
}
