//! Partner API tokens as the auth layer checks them. A token is
//! `pcp_` followed by 32 random bytes (base64url), handed to the partner
//! once; the store keeps only its SHA-256 digest, as the key of the one
//! item that describes it, so checking a presented token is a single get.
//! Deleting that item revokes the token: the next call finds nothing.
//!
//! The partner API capability (`pc-partner-api`) issues, lists and revokes
//! tokens; this module owns their stored shape, [`crate::keys`] their key.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use pc_platform::AppState;
use pc_platform::store::{Key, from_item};
use pc_platform::time::serde_millis;

use crate::cookies::bearer_token;
use crate::error::ApiError;
use crate::identity::PartnerStanding;
use crate::keys::{api_token_key, partner_key};

/// How every partner API token begins, so a leaked one is recognisable
/// (secret scanners, logs) and never mistaken for a session token.
pub const TOKEN_PREFIX: &str = "pcp_";

/// Longest bearer value looked at; real tokens are 47 characters.
const MAX_TOKEN_LENGTH: usize = 128;

/// A token as stored at `APITOKEN#<sha256>` / `TOKEN` (never the token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenRecord {
    pub id: String,
    pub partner_id: String,
    pub name: String,
    /// The token's first characters, to tell tokens apart in a list.
    pub prefix: String,
    /// The user who created it.
    pub created_by: String,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The SHA-256 digest (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A call authenticated by a partner API token on this very request.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenCaller {
    pub token: ApiTokenRecord,
    /// The key of the token's item (its digest), for recording its use.
    pub key: Key,
}

impl TokenCaller {
    /// The partner the token acts for: the only partner it ever reaches.
    pub fn partner_id(&self) -> &str {
        &self.token.partner_id
    }
}

/// Checks the request's `Authorization: Bearer pcp_…` against the store.
/// Cookies are not read: a partner API call is made by a server, never by
/// a browser carrying a session.
///
/// The lookup is by the token's digest, so no stored secret is ever
/// compared with the presented one and a timing difference reveals
/// nothing about a stored token.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<TokenCaller, ApiError> {
    let refused = || ApiError::unauthorized("invalid or revoked API token");
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::unauthorized("send the partner API token as Authorization: Bearer pcp_…")
    })?;
    if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_TOKEN_LENGTH {
        return Err(refused());
    }
    let key = api_token_key(&token_hash(&token));
    let item = state.store.get(&key).await?.ok_or_else(refused)?;
    let record: ApiTokenRecord = from_item(item)?;
    // A token acts for its partner only while the partner may act at all.
    let partner = state.store.get(&partner_key(&record.partner_id)).await?;
    match PartnerStanding::of(partner.as_ref()) {
        PartnerStanding::Active => Ok(TokenCaller { token: record, key }),
        PartnerStanding::AwaitingApproval => Err(ApiError::partner_not_active()),
        PartnerStanding::Refused => Err(refused()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TokenCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<TokenCaller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("send a partner API token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_hex_sha256_and_keys_hold_no_token() {
        let hash = token_hash("pcp_abc");
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, token_hash("pcp_abc"));
        assert_ne!(hash, token_hash("pcp_abd"));
        let key = api_token_key(&hash);
        assert!(key.pk.starts_with("APITOKEN#") && !key.pk.contains("pcp_"));
    }
}
