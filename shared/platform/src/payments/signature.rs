//! The `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
//! each `v1` an HMAC-SHA256 of `<t>.<raw body>` under an endpoint secret.
//! Several `v1` entries appear while Stripe rolls a secret; any one that
//! matches is enough. The fake Stripe signs with [`sign`], the webhook
//! function checks with [`verify`].

use crate::error_code::ErrorCode;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's name.
pub const HEADER: &str = "stripe-signature";

/// How far the signed time may be from now, either way, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    #[error("Stripe-Signature header is missing or has no timestamp and v1 signature")]
    Malformed,
    #[error("Stripe-Signature timestamp is outside the {TOLERANCE_SECONDS}-second tolerance")]
    Stale,
    #[error("no Stripe-Signature v1 signature matches the payload")]
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

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The header value Stripe would send for `payload` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let signature = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

/// Checks `header` over the exact raw `payload` at `now` (unix seconds).
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex_signature)) => signatures.extend(hex::decode(hex_signature).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp.filter(|_| !signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    // `abs_diff` cannot overflow, whatever `t` a sender makes up.
    if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, timestamp, payload);
    // `verify_slice` compares in constant time.
    if signatures
        .iter()
        .any(|s| expected.clone().verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    #[test]
    fn a_signed_body_verifies_within_tolerance() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_000), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_300), Ok(()));
        assert_eq!(
            verify(SECRET, &header, BODY, 1_700_000_301),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn an_extreme_timestamp_is_stale_not_an_overflow() {
        for t in [i64::MIN, i64::MAX, -1] {
            let header = sign(SECRET, t, BODY);
            for now in [1_700_000_000, i64::MIN, i64::MAX] {
                let expected = if now == t {
                    Ok(())
                } else {
                    Err(SignatureError::Stale)
                };
                assert_eq!(
                    verify(SECRET, &header, BODY, now),
                    expected,
                    "t={t} now={now}"
                );
            }
        }
    }

    #[test]
    fn any_v1_of_a_rolling_secret_is_enough() {
        let old = sign("whsec_old", 1_700_000_000, BODY);
        let new = sign(SECRET, 1_700_000_000, BODY);
        let v1 = |h: &str| h.split_once(",v1=").unwrap().1.to_owned();
        let header = format!("t=1700000000,v1={},v1={},v0=ignored", v1(&old), v1(&new));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_000), Ok(()));
    }

    #[test]
    fn a_changed_body_or_secret_or_header_fails() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(SECRET, &header, b"{}", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_other", &header, BODY, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        for bad in ["", "t=1700000000", "v1=abcd", "t=x,v1=abcd", "garbage"] {
            assert_eq!(
                verify(SECRET, bad, BODY, 1_700_000_000),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
