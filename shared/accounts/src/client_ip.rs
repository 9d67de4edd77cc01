//! The caller's IP address, for rate limits: only what the platform vouches
//! for. In Lambda that is API Gateway's `requestContext.http.sourceIp`,
//! which the runner puts on the request as a [`SourceIp`]; on the dev server
//! it is the socket peer. `X-Forwarded-For` is never read: anyone can write
//! it, and a limit keyed on it is lifted by changing a header. With neither
//! source the caller is `unknown` (all such callers share one bucket).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The source address the platform saw, set on the request by the runner
/// that received it (never parsed from a header the client controls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceIp(pub IpAddr);

/// The client IP as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl ClientIp {
    /// The vouched-for address of a request's parts.
    pub fn of(parts: &Parts) -> Self {
        let ip = parts
            .extensions
            .get::<SourceIp>()
            .map(|SourceIp(ip)| *ip)
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip())
            });
        Self(ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(request: Request<()>) -> Parts {
        request.into_parts().0
    }

    #[test]
    fn forwarded_headers_are_ignored() {
        let spoofed = Request::builder()
            .header("x-forwarded-for", "10.9.9.9")
            .body(())
            .unwrap();
        assert_eq!(ClientIp::of(&parts(spoofed)).0, "unknown");

        let mut peer = Request::builder()
            .header("x-forwarded-for", "10.9.9.9")
            .body(())
            .unwrap();
        peer.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 5000))));
        assert_eq!(ClientIp::of(&parts(peer)).0, "192.0.2.7");
    }

    #[test]
    fn the_platform_source_wins_over_the_socket_peer() {
        let mut request = Request::builder().body(()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000))));
        request
            .extensions_mut()
            .insert(SourceIp(IpAddr::from([198, 51, 100, 4])));
        assert_eq!(ClientIp::of(&parts(request)).0, "198.51.100.4");
    }
}
