//! The OAuth `state` of a HubSpot connection: a JWT (HS256 with a secret
//! of its own, [`Secret::OauthState`], which only the two functions that
//! issue and consume states hold; purpose `hubspot_oauth_state`) carrying the partner, the user who
//! asked, a random nonce and the hash of a browser binding, valid ten
//! minutes by the injected clock. The nonce is also stored, and the
//! callback consumes it with a conditional delete, so a state is good
//! once: a tampered, expired or reused state connects nothing.
//!
//! The binding is a second random value that only the browser which asked
//! holds, in an HttpOnly cookie set by `authorize` ([`BINDING_COOKIE`]);
//! the state carries its SHA-256. A consent URL sent to someone else
//! arrives at the callback without that cookie and connects nothing, so
//! nobody can attach their HubSpot portal to a partner by following
//! another user's link.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Duration, Utc};
use pc_platform::config::{Secret, SecretText};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use pc_http::tokens::{self, TokenError};
use pc_platform::AppContext;
use pc_platform::store::{Condition, Item, StoreError};

use crate::keys::nonce_key;

const PURPOSE: &str = "hubspot_oauth_state";

/// How long a state waits for the callback.
pub const STATE_MINUTES: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    /// The partner being connected.
    pub pid: String,
    /// The user who asked.
    pub uid: String,
    pub nonce: String,
    /// Hex SHA-256 of the browser binding.
    pub bh: String,
}

/// The cookie holding the browser binding.
pub const BINDING_COOKIE: &str = "hubspotOauthBinding";

/// A state and the binding its browser must present with it.
pub struct Issued {
    pub state: String,
    /// The cookie value; never stored, only its hash (in the state).
    pub binding: String,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

fn binding_hash(binding: &str) -> String {
    hex::encode(Sha256::digest(binding.as_bytes()))
}

/// Why a state connects nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    #[error("the OAuth state is malformed or its signature is wrong")]
    Invalid,
    #[error("the OAuth state has expired")]
    Expired,
    #[error("the OAuth state was already used")]
    Used,
    #[error("the OAuth callback came from another browser than the one that asked")]
    OtherBrowser,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn secret(ctx: &AppContext) -> Result<SecretText, StateError> {
    // A missing key is a deployment error; to the caller the state is
    // simply not valid.
    ctx.config
        .secrets
        .current(Secret::OauthState)
        .map_err(|_| StateError::Invalid)
}

/// Issues a state for `partner_id` asked by `user_id`, storing its nonce,
/// with the binding the asking browser keeps.
pub async fn issue(
    ctx: &AppContext,
    partner_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Issued, StateError> {
    let nonce = random_hex(16);
    let binding = random_hex(32);
    let key = nonce_key(&nonce);
    let expires = now + Duration::minutes(STATE_MINUTES);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_oauth_state".into());
    item.insert("partnerId".into(), partner_id.into());
    item.insert("userId".into(), user_id.into());
    // Lets the table's TTL remove states never used.
    item.insert("ttl".into(), (expires.timestamp() + 86_400).into());
    ctx.store.put(item, Some(Condition::NotExists)).await?;
    let claims = StateClaims {
        pid: partner_id.into(),
        uid: user_id.into(),
        nonce,
        bh: binding_hash(&binding),
    };
    let state = tokens::sign(
        &secret(ctx)?,
        PURPOSE,
        claims,
        now,
        Duration::minutes(STATE_MINUTES),
    );
    Ok(Issued { state, binding })
}

/// Verifies a state and consumes its nonce: answers its claims once, if
/// `binding` (the callback's cookie) is the one issued with it. The nonce
/// is consumed even when the binding is wrong: a leaked state is then
/// spent, not left for another try.
pub async fn consume(
    ctx: &AppContext,
    state: &str,
    binding: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StateClaims, StateError> {
    // A missing key is a deployment error; to the caller the state is
    // simply not valid.
    let verified = tokens::verify_rotating::<StateClaims>(
        &ctx.config,
        Secret::OauthState,
        PURPOSE,
        state,
        now,
    )
    .await
    .map_err(|_| StateError::Invalid)?;
    let claims = match verified {
        Ok(envelope) => envelope.claims,
        Err(TokenError::Expired) => return Err(StateError::Expired),
        Err(_) => return Err(StateError::Invalid),
    };
    // Bound to the partner and user it was issued for.
    let bound = Condition::And(vec![
        Condition::Exists,
        Condition::equals("partnerId", claims.pid.clone()),
        Condition::equals("userId", claims.uid.clone()),
    ]);
    match ctx
        .store
        .delete(&nonce_key(&claims.nonce), Some(bound))
        .await
    {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => return Err(StateError::Used),
        Err(e) => return Err(e.into()),
    }
    let presented = binding_hash(binding.unwrap_or_default());
    let same: bool = presented.as_bytes().ct_eq(claims.bh.as_bytes()).into();
    if binding.is_some_and(|b| !b.is_empty()) && same {
        Ok(claims)
    } else {
        Err(StateError::OtherBrowser)
    }
}
