//! Signed tokens (algorithm pinned, issuer, audience and purpose
//! checked). Session access and refresh tokens are EdDSA (Ed25519): signed
//! with the private key only the functions issuing sessions hold
//! ([`Secret::JwtSigningKey`]), verified with the public keys of the
//! function's environment ([`pc_platform::session_keys`]), so a function
//! that checks sessions holds no secret and could not mint one. Other
//! purpose-bound tokens (magic links, OAuth states) are HS256 with a
//! secret of their own. Expiry is checked against the injected clock, not
//! the system's, so tests can move time.

mod eddsa;
mod hs256;
mod provider;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pc_platform::config::{Config, MissingPublicKeys, MissingSecret, PublicKey, Secret};
use pc_platform::session_keys::SigningKey;
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

/// The envelope of `claims` for `purpose`, valid from `now` for `lifetime`,
/// signed with `key` under `header`.
fn encode<T: Serialize>(
    header: &Header,
    key: &EncodingKey,
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
    provider::install();
    jsonwebtoken::encode(header, &envelope, key)
        .expect("signing serializable claims with a checked key cannot fail")
}

/// Checks signature, `algorithm` (the only one accepted), issuer,
/// audience, purpose and expiry.
fn decode<T: DeserializeOwned>(
    key: &DecodingKey,
    algorithm: Algorithm,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Envelope<T>, TokenError> {
    provider::install();
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    // Expiry is judged below against the injected clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Envelope<T>>(token, key, &validation)
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

/// Signs `claims` for `purpose` with a shared secret (HS256), valid from
/// `now` for `lifetime`.
pub fn sign<T: Serialize>(
    secret: &str,
    purpose: &str,
    claims: T,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes());
    encode(
        &Header::new(Algorithm::HS256),
        &key,
        purpose,
        claims,
        now,
        lifetime,
    )
}

/// Verifies a token [`sign`]ed with `secret` (HS256 only).
pub fn verify<T: DeserializeOwned>(
    secret: &str,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Envelope<T>, TokenError> {
    let key = DecodingKey::from_secret(secret.as_bytes());
    decode(&key, Algorithm::HS256, purpose, token, now)
}

/// Why this function cannot sign sessions.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    NotHeld(#[from] MissingSecret),
    #[error(transparent)]
    NoPublicKeys(#[from] MissingPublicKeys),
    #[error("invalid secret JWT_SIGNING_KEY: {0}")]
    Invalid(String),
    /// Tokens signed now would be refused everywhere: the rotation's
    /// steps were taken out of order.
    #[error(
        "the public key of JWT_SIGNING_KEY (key id {0}) is not in JWT_PUBLIC_KEYS: list it there before the secret signs with it"
    )]
    NotListed(String),
}

/// The key that signs this function's sessions: the current
/// [`Secret::JwtSigningKey`], whose public half must be among the public
/// keys every function verifies with.
pub fn session_signing_key(config: &Config) -> Result<SigningKey, SigningError> {
    let pem = config.secrets.current(Secret::JwtSigningKey)?;
    let key = SigningKey::from_pem(&pem).map_err(SigningError::Invalid)?;
    if !config.jwt_public_keys()?.contains(&key.public) {
        return Err(SigningError::NotListed(key.public.kid));
    }
    Ok(key)
}

/// Signs session `claims` (EdDSA) for `purpose`, valid from `now` for
/// `lifetime`; the header names the key (`kid`).
pub fn sign_session<T: Serialize>(
    key: &SigningKey,
    purpose: &str,
    claims: T,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.public.kid.clone());
    let key = EncodingKey::from_ed_der(&key.pkcs8);
    encode(&header, &key, purpose, claims, now, lifetime)
}

/// Verifies a session token with the public key its header names among
/// `keys` (EdDSA only): a token naming no listed key is invalid.
pub fn verify_session_with<T: DeserializeOwned>(
    keys: &[PublicKey],
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Envelope<T>, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    let key = header
        .kid
        .and_then(|kid| keys.iter().find(|key| key.kid == kid))
        .ok_or(TokenError::Invalid)?;
    decode(
        &DecodingKey::from_ed_der(&key.key),
        Algorithm::EdDSA,
        purpose,
        token,
        now,
    )
}

/// [`verify_session_with`] the public keys of `config`: no secret, no
/// call; a key rotated in is listed in the environment before it signs.
pub fn verify_session<T: DeserializeOwned>(
    config: &Config,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<Envelope<T>, TokenError>, MissingPublicKeys> {
    Ok(verify_session_with(
        config.jwt_public_keys()?,
        purpose,
        token,
        now,
    ))
}

/// [`verify`] with `config`'s `key` (the OAuth states' or the magic
/// links'): its current value, then the one before the last rotation; a
/// token neither verifies reloads the keys (rate-limited), as it may be
/// signed with a key rotated in since this process started.
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

        provider::install();
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

    mod sessions {
        use super::*;
        use pc_platform::session_keys::parse_public_keys;

        /// A second key pair (`openssl genpkey -algorithm ed25519`).
        const OTHER_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIKbaHE43au6whASOMJcWSnRqdzJt+lfC+NLmeIhl30z5
-----END PRIVATE KEY-----
";

        fn dev() -> SigningKey {
            session_signing_key(&Config::local_defaults()).unwrap()
        }

        fn other() -> SigningKey {
            SigningKey::from_pem(OTHER_PEM).unwrap()
        }

        fn claims() -> AccessClaims {
            AccessClaims {
                sub: "u1".into(),
                sid: "s1".into(),
                pid: None,
            }
        }

        fn signed(key: &SigningKey) -> String {
            sign_session(key, "access", claims(), now(), Duration::minutes(30))
        }

        fn check(keys: &[PublicKey], token: &str) -> Result<AccessClaims, TokenError> {
            verify_session_with::<AccessClaims>(keys, "access", token, now()).map(|e| e.claims)
        }

        #[test]
        fn a_session_signed_with_the_private_key_verifies_with_the_public_key() {
            let config = Config::local_defaults();
            let token = signed(&dev());
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, Algorithm::EdDSA);
            assert_eq!(header.kid.as_deref(), Some(dev().public.kid.as_str()));
            let envelope = verify_session::<AccessClaims>(&config, "access", &token, now())
                .unwrap()
                .unwrap();
            assert_eq!(envelope.claims, claims());
            assert_eq!(
                verify_session::<AccessClaims>(&config, "refresh", &token, now()).unwrap(),
                Err(TokenError::WrongPurpose)
            );
            assert_eq!(
                verify_session::<AccessClaims>(
                    &config,
                    "access",
                    &token,
                    now() + Duration::minutes(30)
                )
                .unwrap(),
                Err(TokenError::Expired)
            );
            let mut keyless = config;
            keyless.jwt_public_keys.clear();
            assert_eq!(
                verify_session::<AccessClaims>(&keyless, "access", &token, now()).unwrap_err(),
                MissingPublicKeys
            );
        }

        #[test]
        fn another_key_hs256_alg_none_and_a_forged_kid_are_refused() {
            let keys = [dev().public];
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let foreign = signed(&other());
            assert_eq!(check(&keys, &foreign), Err(TokenError::Invalid));
            // Signed with the other key but naming ours.
            let parts: Vec<&str> = foreign.split('.').collect();
            let ours = signed(&dev());
            let forged_kid = format!(
                "{}.{}.{}",
                ours.split('.').next().unwrap(),
                parts[1],
                parts[2]
            );
            assert_eq!(check(&keys, &forged_kid), Err(TokenError::Invalid));

            // Algorithm confusion: HS256 keyed with the public key, as raw
            // bytes and as the text of JWT_PUBLIC_KEYS, naming our key.
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(dev().public.kid);
            for hmac_key in [
                dev().public.key.to_vec(),
                dev().public.to_base64().into_bytes(),
            ] {
                let confused = encode(
                    &header,
                    &EncodingKey::from_secret(&hmac_key),
                    "access",
                    claims(),
                    now(),
                    Duration::minutes(30),
                );
                assert_eq!(check(&keys, &confused), Err(TokenError::Invalid));
            }
            // An HS256 token with the old development secret.
            let legacy = sign(SECRET, "access", claims(), now(), Duration::minutes(30));
            assert_eq!(check(&keys, &legacy), Err(TokenError::Invalid));

            let none_header = engine.encode(format!(
                r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
                keys[0].kid
            ));
            let unsigned = format!("{none_header}.{}.", ours.split('.').nth(1).unwrap());
            assert_eq!(check(&keys, &unsigned), Err(TokenError::Invalid));
            // No kid at all.
            let no_kid = encode(
                &Header::new(Algorithm::EdDSA),
                &EncodingKey::from_ed_der(&dev().pkcs8),
                "access",
                claims(),
                now(),
                Duration::minutes(30),
            );
            assert_eq!(check(&keys, &no_kid), Err(TokenError::Invalid));
            // Tampered claims.
            let mut payload: serde_json::Value =
                serde_json::from_slice(&engine.decode(ours.split('.').nth(1).unwrap()).unwrap())
                    .unwrap();
            payload["sub"] = "admin".into();
            let parts: Vec<&str> = ours.split('.').collect();
            let tampered = format!(
                "{}.{}.{}",
                parts[0],
                engine.encode(payload.to_string()),
                parts[2]
            );
            assert_eq!(check(&keys, &tampered), Err(TokenError::Invalid));
            assert_eq!(check(&keys, "not-a-jwt"), Err(TokenError::Invalid));
        }

        #[test]
        fn during_a_rotation_the_previous_key_verifies_while_it_is_listed() {
            let before = signed(&dev());
            let after = signed(&other());
            let both = [other().public, dev().public];
            assert_eq!(check(&both, &before), Ok(claims()));
            assert_eq!(check(&both, &after), Ok(claims()));
            // The previous key dropped: its tokens are refused.
            let new_only = [other().public];
            assert_eq!(check(&new_only, &before), Err(TokenError::Invalid));
            assert_eq!(check(&new_only, &after), Ok(claims()));
        }

        #[test]
        fn a_key_whose_public_half_is_not_listed_signs_nothing() {
            let mut config = Config::local_defaults();
            config.jwt_public_keys = parse_public_keys(&other().public.to_base64()).unwrap();
            let error = session_signing_key(&config).unwrap_err();
            assert!(matches!(error, SigningError::NotListed(_)), "{error}");
            assert!(error.to_string().contains("JWT_PUBLIC_KEYS"), "{error}");
            let holding_none = Config::local_defaults().holding_only(&[]);
            let error = session_signing_key(&holding_none).unwrap_err();
            assert!(error.to_string().contains("JWT_SIGNING_KEY"), "{error}");
        }
    }
}
