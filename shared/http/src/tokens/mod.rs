//! Signed tokens (HS256, algorithm pinned, issuer and audience checked):
//! session access/refresh tokens, and any other purpose-bound JWT (magic
//! links, OAuth state). Expiry is checked against the injected clock, not
//! the system's, so tests can move time.

mod hs256;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pc_platform::config::{Config, MissingSecret, Secret};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

pub const ISSUER: &str = "partner-connector";
pub const AUDIENCE: &str = "partner-connector-api";

/// Minutes an access token lives.
pub const ACCESS_TOKEN_MINUTES: i64 = 30;
/// Days a refresh token lives.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed or its signature is wrong")]
    Invalid,
    #[error("token has expired")]
    Expired,
    #[error("token is for another purpose")]
    WrongPurpose,
}

/// The registered claims every token carries, plus its purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// `access`, `refresh`, `magic`, `oauth_state`...
    pub typ: String,
    #[serde(flatten)]
    pub claims: T,
}

/// Claims of a session access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    /// The user's partner when the token was signed: the auth layer reads
    /// that partner's status in the same batch as the user and the session.
    /// A hint only; the stored user decides which partner counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
}

/// Claims of a session refresh token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub sub: String,
    pub sid: String,
    pub jti: String,
}

/// Signs `claims` for `purpose`, valid from `now` for `lifetime`.
pub fn sign<T: Serialize>(
    secret: &str,
    purpose: &str,
    claims: T,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> String {
    let envelope = Envelope {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now.timestamp(),
        exp: (now + lifetime).timestamp(),
        typ: purpose.to_owned(),
        claims,
    };
    hs256::install();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &envelope,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing of serializable claims cannot fail")
}

/// Verifies signature, algorithm, issuer, audience, purpose and expiry.
pub fn verify<T: DeserializeOwned>(
    secret: &str,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Envelope<T>, TokenError> {
    hs256::install();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    // Expiry is judged below against the injected clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Envelope<T>>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|_| TokenError::Invalid)?;
    let envelope = data.claims;
    if envelope.typ != purpose {
        return Err(TokenError::WrongPurpose);
    }
    if now.timestamp() >= envelope.exp {
        return Err(TokenError::Expired);
    }
    Ok(envelope)
}

/// [`verify`] with `config`'s `key` (the session key, [`Secret::Jwt`], or
/// the magic links'): its current value, then the one before the last
/// rotation; a token neither verifies reloads the keys (rate-limited), as
/// it may be signed with a key rotated in since this process started.
pub async fn verify_rotating<T: DeserializeOwned>(
    config: &Config,
    key: Secret,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<Envelope<T>, TokenError>, MissingSecret> {
    config
        .secrets
        .verify(
            key,
            |value| verify::<T>(value, purpose, token, now),
            |error| *error == TokenError::Invalid,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use chrono::Duration;

    const SECRET: &str = "test-secret-test-secret-test-secret!";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-03-01T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn access() -> String {
        sign(
            SECRET,
            "access",
            AccessClaims {
                sub: "u1".into(),
                sid: "s1".into(),
                pid: None,
            },
            now(),
            Duration::minutes(30),
        )
    }

    #[test]
    fn round_trip_and_expiry_by_the_given_clock() {
        let token = access();
        let ok = verify::<AccessClaims>(SECRET, "access", &token, now() + Duration::minutes(29))
            .unwrap();
        assert_eq!(ok.claims.sub, "u1");
        assert_eq!(
            verify::<AccessClaims>(SECRET, "access", &token, now() + Duration::minutes(30)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn wrong_key_purpose_tampering_and_alg_none_are_refused() {
        let token = access();
        assert_eq!(
            verify::<AccessClaims>("another-secret-another-secret-xx", "access", &token, now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify::<AccessClaims>(SECRET, "refresh", &token, now()),
            Err(TokenError::WrongPurpose)
        );

        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            engine.encode(payload.to_string()),
            parts[2]
        );
        assert_eq!(
            verify::<AccessClaims>(SECRET, "access", &forged, now()),
            Err(TokenError::Invalid)
        );

        let none_header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert_eq!(
            verify::<AccessClaims>(SECRET, "access", &unsigned, now()),
            Err(TokenError::Invalid)
        );

        hs256::install();
        let other_issuer = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": "evil", "aud": AUDIENCE, "iat": 0, "exp": i64::MAX / 2,
                "typ": "access", "sub": "u1", "sid": "s1"}),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            verify::<AccessClaims>(SECRET, "access", &other_issuer, now()),
            Err(TokenError::Invalid)
        );
    }
}
