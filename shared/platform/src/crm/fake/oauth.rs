//! The fake's OAuth server: the consent page (played by a dev route)
//! grants a portal and issues a single-use code valid ten minutes; the
//! token endpoint exchanges it for an access token (30 minutes, as
//! HubSpot's) and a refresh token, and refreshes. Tokens are random and
//! kept only as SHA-256 digests, so the store never holds a usable one.
//!
//! Its items and their keys: [`crate::keys`].

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Condition, Item, Key, Store, Write, from_item};

use super::super::{AccessToken, CrmError, OAuthTokens, RefreshToken};
use super::keys;
use super::portal::{self, unavailable};

/// How long an access token lives, in seconds.
pub const ACCESS_TOKEN_SECONDS: i64 = 1800;
/// How long a code waits for its exchange, in milliseconds.
const CODE_MILLIS: i64 = 10 * 60 * 1000;

/// The scopes the fake grants: those the app asks for.
pub const SCOPES: [&str; 5] = [
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
];

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn token_key(token: &str) -> Key {
    keys::token_key(&digest(token))
}

fn code_key(code: &str) -> Key {
    keys::code_key(&digest(code))
}

fn random_text(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}-{}", hex::encode(bytes))
}

/// What a token's digest opens.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Grant {
    pub portal_id: String,
    /// `access` or `refresh`.
    pub kind: String,
    /// Milliseconds; refresh tokens do not expire.
    pub expires_at: Option<i64>,
}

/// Issues a code for `portal_id`, to be exchanged with `redirect_uri`.
pub(super) async fn issue_code(
    store: &dyn Store,
    portal_id: &str,
    redirect_uri: &str,
    now_millis: i64,
) -> Result<String, CrmError> {
    let code = random_text("code");
    let key = code_key(&code);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_fake_code".into());
    item.insert("portalId".into(), portal_id.into());
    item.insert("redirectUri".into(), redirect_uri.into());
    item.insert("expiresAt".into(), (now_millis + CODE_MILLIS).into());
    store.put(item, None).await.map_err(unavailable)?;
    Ok(code)
}

/// Consumes a code (once) and answers its portal.
pub(super) async fn redeem_code(
    store: &dyn Store,
    code: &str,
    redirect_uri: &str,
    now_millis: i64,
) -> Result<String, CrmError> {
    let key = code_key(code);
    let item = store
        .get(&key)
        .await
        .map_err(unavailable)?
        .ok_or(CrmError::Unauthorized)?;
    let field = |name: &str| item.get(name).cloned().unwrap_or_default();
    if field("redirectUri").as_str() != Some(redirect_uri) {
        return Err(CrmError::Refused(
            "redirect_uri does not match the authorization request".into(),
        ));
    }
    if field("expiresAt").as_i64().unwrap_or(0) < now_millis {
        return Err(CrmError::Unauthorized);
    }
    // The conditional delete makes a code single-use under races too.
    match store.delete(&key, Some(Condition::Exists)).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => return Err(CrmError::Unauthorized),
        Err(e) => return Err(unavailable(e)),
    }
    Ok(field("portalId").as_str().unwrap_or_default().to_owned())
}

fn grant_write(token: &str, grant: &Grant) -> Write {
    let key = token_key(token);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_fake_token".into());
    item.insert("portalId".into(), grant.portal_id.clone().into());
    item.insert("kind".into(), grant.kind.clone().into());
    if let Some(at) = grant.expires_at {
        item.insert("expiresAt".into(), at.into());
    }
    Write::put(item)
}

/// Issues an access token, and a refresh token unless one is kept.
pub(super) async fn issue_tokens(
    store: &dyn Store,
    portal_id: &str,
    refresh: Option<&RefreshToken>,
    now_millis: i64,
) -> Result<OAuthTokens, CrmError> {
    let access = random_text("fake-access");
    let mut writes = vec![grant_write(
        &access,
        &Grant {
            portal_id: portal_id.into(),
            kind: "access".into(),
            expires_at: Some(now_millis + ACCESS_TOKEN_SECONDS * 1000),
        },
    )];
    let refresh = match refresh {
        Some(kept) => kept.clone(),
        None => {
            let fresh = random_text("fake-refresh");
            writes.push(grant_write(
                &fresh,
                &Grant {
                    portal_id: portal_id.into(),
                    kind: "refresh".into(),
                    expires_at: None,
                },
            ));
            RefreshToken::new(fresh)
        }
    };
    store.transact(writes).await.map_err(unavailable)?;
    Ok(OAuthTokens {
        access_token: AccessToken::new(access),
        refresh_token: refresh,
        expires_in_seconds: ACCESS_TOKEN_SECONDS,
    })
}

/// The grant of a live token of `kind` whose portal is not revoked.
pub(super) async fn grant_of(
    store: &dyn Store,
    token: &str,
    kind: &str,
    now_millis: i64,
) -> Result<Grant, CrmError> {
    let item = store
        .get(&token_key(token))
        .await
        .map_err(unavailable)?
        .ok_or(CrmError::Unauthorized)?;
    let grant: Grant = from_item(item).map_err(unavailable)?;
    if grant.kind != kind || grant.expires_at.is_some_and(|at| at <= now_millis) {
        return Err(CrmError::Unauthorized);
    }
    match portal::load(store, &grant.portal_id).await? {
        Some(p) if !p.revoked => Ok(grant),
        _ => Err(CrmError::Unauthorized),
    }
}
