//! The caller's IP address, for rate limits: the first entry of
//! `X-Forwarded-For` (API Gateway sets it), else the socket peer when the
//! server recorded one, else `unknown` (all such callers share one bucket).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The client IP as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|ip| !ip.is_empty() && ip.len() <= 64);
        let ip = match forwarded {
            Some(ip) => ip.to_owned(),
            None => parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string())
                .unwrap_or_else(|| "unknown".to_owned()),
        };
        Ok(ClientIp(ip))
    }
}
