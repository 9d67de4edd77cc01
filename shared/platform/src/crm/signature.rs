//! HubSpot's `X-HubSpot-Signature-v3`: base64 of an HMAC-SHA256, keyed by
//! the app's client secret, over `method + full URI + raw body +
//! timestamp`, where the timestamp is `X-HubSpot-Request-Timestamp`
//! (milliseconds since the epoch). A request whose timestamp is more than
//! five minutes from now is refused, so a captured request cannot be
//! replayed later. The fake HubSpot signs with [`sign`]; the webhook
//! function checks with [`verify`].

use crate::error_code::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "x-hubspot-signature-v3";
/// The timestamp header's name.
pub const TIMESTAMP_HEADER: &str = "x-hubspot-request-timestamp";

/// How far the signed time may be from now, either way, in milliseconds.
pub const TOLERANCE_MILLIS: i64 = 5 * 60 * 1000;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    #[error("X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp is missing or malformed")]
    Malformed,
    #[error("X-HubSpot-Request-Timestamp is more than five minutes from now")]
    Stale,
    #[error("X-HubSpot-Signature-v3 does not match the request")]
    Mismatch,
}

impl SignatureError {
    /// The error code a refused webhook is answered with.
    pub fn code(&self) -> ErrorCode {
        match self {
            SignatureError::Malformed => ErrorCode::InvalidSignatureHeader,
            SignatureError::Stale => ErrorCode::StaleSignature,
            SignatureError::Mismatch => ErrorCode::InvalidSignature,
        }
    }
}

/// What is signed: the parts of one request.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    /// `POST`.
    pub method: &'a str,
    /// The full URI HubSpot called: `https://host/leads/hubspot?query`.
    pub uri: &'a str,
    pub body: &'a [u8],
    /// Milliseconds since the epoch, as sent in the timestamp header.
    pub timestamp_millis: i64,
}

fn mac(secret: &str, request: &SignedRequest<'_>) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(request.method.as_bytes());
    mac.update(request.uri.as_bytes());
    mac.update(request.body);
    mac.update(request.timestamp_millis.to_string().as_bytes());
    mac
}

/// The full URI a request was sent to, as HubSpot signs it, from what
/// the receiving function sees: the `Host` header, the path with its
/// query, and the scheme of `X-Forwarded-Proto` (HTTPS when absent, as
/// HubSpot only calls HTTPS URLs).
pub fn request_uri(host: &str, path_and_query: &str, forwarded_proto: Option<&str>) -> String {
    let scheme = forwarded_proto.unwrap_or("https");
    format!("{scheme}://{host}{path_and_query}")
}

/// The `X-HubSpot-Signature-v3` value HubSpot would send for `request`.
pub fn sign(secret: &str, request: &SignedRequest<'_>) -> String {
    STANDARD.encode(mac(secret, request).finalize().into_bytes())
}

/// Parses the timestamp header (milliseconds since the epoch).
pub fn parse_timestamp(header: &str) -> Result<i64, SignatureError> {
    header
        .trim()
        .parse::<i64>()
        .map_err(|_| SignatureError::Malformed)
}

/// Checks `signature` (the header's value) over `request` at `now_millis`.
pub fn verify(
    secret: &str,
    signature: &str,
    request: &SignedRequest<'_>,
    now_millis: i64,
) -> Result<(), SignatureError> {
    let Ok(given) = STANDARD.decode(signature.trim()) else {
        return Err(SignatureError::Malformed);
    };
    // `abs_diff` cannot overflow, whatever timestamp a sender makes up.
    if now_millis.abs_diff(request.timestamp_millis) > TOLERANCE_MILLIS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    // `verify_slice` compares in constant time.
    mac(secret, request)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hubspot-client-secret";
    const T: i64 = 1_700_000_000_000;

    fn request(body: &[u8], timestamp_millis: i64) -> SignedRequest<'_> {
        SignedRequest {
            method: "POST",
            uri: "https://example.test/leads/hubspot",
            body,
            timestamp_millis,
        }
    }

    #[test]
    fn matches_an_independent_hmac_of_the_concatenation() {
        let body = br#"[{"eventId":1}]"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(
            format!("POSThttps://example.test/leads/hubspot[{{\"eventId\":1}}]{T}").as_bytes(),
        );
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sign(SECRET, &request(body, T)), expected);
    }

    #[test]
    fn a_signed_request_verifies_within_five_minutes() {
        let body = b"[]";
        let signature = sign(SECRET, &request(body, T));
        assert_eq!(verify(SECRET, &signature, &request(body, T), T), Ok(()));
        assert_eq!(
            verify(SECRET, &signature, &request(body, T), T + TOLERANCE_MILLIS),
            Ok(())
        );
        assert_eq!(
            verify(
                SECRET,
                &signature,
                &request(body, T),
                T + TOLERANCE_MILLIS + 1
            ),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn an_extreme_timestamp_is_stale_not_an_overflow() {
        let body = b"[]";
        for t in [i64::MIN, i64::MAX] {
            let signature = sign(SECRET, &request(body, t));
            assert_eq!(
                verify(SECRET, &signature, &request(body, t), T),
                Err(SignatureError::Stale)
            );
        }
    }

    #[test]
    fn a_changed_part_or_secret_fails() {
        let signature = sign(SECRET, &request(b"[]", T));
        assert_eq!(
            verify(SECRET, &signature, &request(b"[{}]", T), T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &signature, &request(b"[]", T), T),
            Err(SignatureError::Mismatch)
        );
        let mut other_uri = request(b"[]", T);
        other_uri.uri = "https://example.test/leads/hubspot?x=1";
        assert_eq!(
            verify(SECRET, &signature, &other_uri, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, "not base64!", &request(b"[]", T), T),
            Err(SignatureError::Malformed)
        );
        assert_eq!(parse_timestamp("abc"), Err(SignatureError::Malformed));
        assert_eq!(
            request_uri("h.test", "/leads/hubspot?a=1", None),
            "https://h.test/leads/hubspot?a=1"
        );
        assert_eq!(parse_timestamp(&T.to_string()), Ok(T));
    }
}
