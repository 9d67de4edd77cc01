//! Sessions: one item per sign-in, holding the one refresh-token id (`jti`)
//! of its token family that may still be used. Refresh rotates the `jti`
//! with a conditional update; presenting any other `jti` of the family is
//! reuse (a stolen token) and revokes the whole session — except the token
//! just replaced, for [`REUSE_WINDOW_SECONDS`] after its rotation: two tabs
//! of one browser refreshing at the same moment both present it, and the
//! late one gets a pair of the same family instead of signing the user out.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Duration, Utc};

use pc_http::identity::{SessionRecord, UserRecord, session_key};
use pc_http::tokens::{
    self, ACCESS_TOKEN_MINUTES, AccessClaims, REFRESH_TOKEN_DAYS, RefreshClaims,
};
use pc_platform::AppContext;
use pc_platform::store::pages::Pages;
use pc_platform::store::{
    Condition, Index, Item, Query, SortKey, Store, StoreError, Update, from_item, to_item,
};
use pc_platform::time::timestamp;

/// The item of a session, with its key.
pub fn session_item(session: &SessionRecord) -> Result<Item, StoreError> {
    let mut item = to_item(session)?;
    let key = session_key(&session.user_id, &session.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "session".into());
    // DynamoDB TTL removes the family a day after it could last be used.
    item.insert(
        "ttl".into(),
        (session.expires_at.timestamp() + 86_400).into(),
    );
    Ok(item)
}

/// The signed pair handed to the browser.
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// Seconds after a rotation during which the replaced refresh token still
/// yields a pair of its family.
pub const REUSE_WINDOW_SECONDS: i64 = 30;

fn sign_pair(
    ctx: &AppContext,
    user: &UserRecord,
    sid: &str,
    jti: &str,
    now: DateTime<Utc>,
) -> Result<TokenPair, StoreError> {
    // Only a function deployed without the signing key (or with a key
    // whose public half is not listed) gets here without it.
    let key =
        tokens::session_signing_key(&ctx.config).map_err(|e| StoreError::Backend(e.to_string()))?;
    let user_id = &user.id;
    Ok(TokenPair {
        access: tokens::sign_session(
            &key,
            "access",
            AccessClaims {
                sub: user_id.to_owned(),
                sid: sid.to_owned(),
                pid: user.partner_id.clone(),
            },
            now,
            Duration::minutes(ACCESS_TOKEN_MINUTES),
        ),
        refresh: tokens::sign_session(
            &key,
            "refresh",
            RefreshClaims {
                sub: user_id.to_owned(),
                sid: sid.to_owned(),
                jti: jti.to_owned(),
            },
            now,
            Duration::days(REFRESH_TOKEN_DAYS),
        ),
    })
}

/// Starts a session for `user` and signs its first token pair.
pub async fn start(ctx: &AppContext, user: &UserRecord) -> Result<TokenPair, StoreError> {
    let now = ctx.clock.now();
    let session = SessionRecord {
        id: ctx.ids.new_id(),
        user_id: user.id.clone(),
        refresh_jti: ctx.ids.new_id(),
        previous_jti: None,
        rotated_at: None,
        revoked: false,
        created_at: now,
        expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
    };
    ctx.store
        .put(session_item(&session)?, Some(Condition::NotExists))
        .await?;
    sign_pair(ctx, user, &session.id, &session.refresh_jti, now)
}

/// Why a refresh was refused.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The presented refresh token is not the family's current one: the
    /// session has been revoked.
    #[error("refresh token reuse detected; the session is revoked")]
    Reused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The pair for a token replaced less than [`REUSE_WINDOW_SECONDS`] ago:
/// signed for the family's current `jti`, so both tabs end up holding a
/// token that may still be used.
fn within_reuse_window(
    ctx: &AppContext,
    user: &UserRecord,
    session: &SessionRecord,
    presented_jti: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenPair>, StoreError> {
    let recent = session
        .rotated_at
        .is_some_and(|at| now - at <= Duration::seconds(REUSE_WINDOW_SECONDS));
    if recent && !session.revoked && session.previous_jti.as_deref() == Some(presented_jti) {
        sign_pair(ctx, user, &session.id, &session.refresh_jti, now).map(Some)
    } else {
        Ok(None)
    }
}

/// Swaps the session's current `jti` (the presented one) for a new one and
/// signs the new pair; the token just replaced gets a pair of the family
/// within the reuse window; any other token revokes the session.
pub async fn rotate(
    ctx: &AppContext,
    user: &UserRecord,
    session: &SessionRecord,
    presented_jti: &str,
) -> Result<TokenPair, RotateError> {
    let now = ctx.clock.now();
    if session.refresh_jti != presented_jti {
        if let Some(pair) = within_reuse_window(ctx, user, session, presented_jti, now)? {
            return Ok(pair);
        }
        revoke(&*ctx.store, &session.user_id, &session.id).await?;
        return Err(RotateError::Reused);
    }
    let next = ctx.ids.new_id();
    let key = session_key(&session.user_id, &session.id);
    let update = Update::new(key.clone())
        .set("refreshJti", next.clone())
        .set("previousJti", presented_jti)
        .set("rotatedAt", timestamp(now))
        .set(
            "expiresAt",
            timestamp(now + Duration::days(REFRESH_TOKEN_DAYS)),
        )
        .set(
            "ttl",
            (now + Duration::days(REFRESH_TOKEN_DAYS + 1)).timestamp(),
        )
        .when(
            Condition::equals("refreshJti", presented_jti).and(Condition::equals("revoked", false)),
        );
    match ctx.store.update(update).await {
        Ok(_) => Ok(sign_pair(ctx, user, &session.id, &next, now)?),
        Err(e) if e.is_condition_failure() => {
            // Another request rotated first with the same token: a second
            // tab, if it happened just now; otherwise the token was used
            // twice, which is exactly what theft looks like.
            let current = ctx.store.get_as(&key).await?;
            if let Some(current) = current {
                let current: SessionRecord = current;
                if let Some(pair) = within_reuse_window(ctx, user, &current, presented_jti, now)? {
                    return Ok(pair);
                }
            }
            revoke(&*ctx.store, &session.user_id, &session.id).await?;
            Err(RotateError::Reused)
        }
        Err(e) => Err(e.into()),
    }
}

/// Revokes one session (no-op when it does not exist).
pub async fn revoke(store: &dyn Store, user_id: &str, session_id: &str) -> Result<(), StoreError> {
    let update = Update::new(session_key(user_id, session_id))
        .set("revoked", true)
        .when(Condition::Exists);
    match store.update(update).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Revokes every live session of a user (password reset).
pub async fn revoke_all(store: &dyn Store, user_id: &str) -> Result<(), StoreError> {
    let query = Query::partition(Index::Table, pc_http::identity::user_partition(user_id)).sk(
        SortKey::BeginsWith(pc_http::identity::SESSION_PREFIX.into()),
    );
    let mut pages = Pages::new(store, query);
    while let Some(items) = pages.next().await? {
        for item in items {
            let session: SessionRecord = from_item(item)?;
            if !session.revoked {
                revoke(store, user_id, &session.id).await?;
            }
        }
    }
    Ok(())
}
