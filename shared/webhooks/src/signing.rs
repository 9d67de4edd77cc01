//! The signature of a delivery: `X-PC-Signature: t=<unix seconds>,v1=<hex>`
//! where the hex is HMAC-SHA256, keyed with the partner's whole secret
//! string (`whsec_...`), of the timestamp, a dot and the exact body bytes.
//! Signing the timestamp with the body lets a receiver refuse a replayed
//! delivery older than its tolerance (five minutes is the documented one).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-PC-Signature";
/// How far a receiver should let `t` be from its own clock.
pub const TOLERANCE_SECONDS: i64 = 300;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-PC-Signature` value of `body` sent at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// What a receiver does: parses the header, checks the timestamp is within
/// [`TOLERANCE_SECONDS`] of `now`, and compares the HMAC in constant time.
pub fn verify(header: &str, secret: &str, body: &[u8], now: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    // `abs_diff` cannot overflow, whatever `t` a sender makes up.
    if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return false;
    }
    signatures
        .iter()
        .any(|s| mac(secret, timestamp, body).verify_slice(s).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/webhooks.md, computed independently with
    /// Python's `hmac` module.
    const SECRET: &str = "whsec_5f3c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
    const T: i64 = 1_767_225_600;
    const BODY: &str = r#"{"data":{"changedBy":"Ann Admin","lead":{"company":"Acme","dealAmount":null,"dealStatus":"new","email":"lee@acme.example","firstName":"Lee","lastName":"Chen","salesManager":null,"scheduledDate":null},"leadId":"01JGZ8Y2Q4M6N8P0R2T4V6X8Z1"},"id":"01JGZ8Y2Q4M6N8P0R2T4V6X8Z0","occurredAt":"2026-01-01T00:00:00.000Z","type":"lead.created"}"#;
    const EXPECTED: &str = "38cd3038f8ea5e7a5364da2b6861ce7150c07edea790dcf491c277398c758de7";

    #[test]
    fn the_documented_vector_signs_as_documented() {
        assert_eq!(
            signature_header(SECRET, T, BODY.as_bytes()),
            format!("t={T},v1={EXPECTED}")
        );
    }

    #[test]
    fn verification_needs_the_secret_the_body_and_a_recent_timestamp() {
        let header = signature_header(SECRET, T, BODY.as_bytes());
        assert!(verify(&header, SECRET, BODY.as_bytes(), T + 10));
        assert!(!verify(&header, "whsec_other", BODY.as_bytes(), T));
        assert!(!verify(&header, SECRET, b"{}", T));
        assert!(!verify(
            &header,
            SECRET,
            BODY.as_bytes(),
            T + TOLERANCE_SECONDS + 1
        ));
        assert!(!verify("v1=00", SECRET, BODY.as_bytes(), T));
        for t in [i64::MIN, i64::MAX] {
            let extreme = signature_header(SECRET, t, BODY.as_bytes());
            assert!(!verify(&extreme, SECRET, BODY.as_bytes(), T), "t={t}");
        }
    }
}
