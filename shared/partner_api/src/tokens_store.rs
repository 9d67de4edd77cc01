//! The stored partner API tokens: issuing, listing, revoking and noting
//! their use. The token item's shape and key are `pc_http::partner_tokens`'
//! (the auth layer reads it); this module owns every write.
//!
//! Its items and their keys: [`crate::keys`].

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use pc_http::keys::api_token_key;
use pc_http::partner_tokens::{ApiTokenRecord, TOKEN_PREFIX, token_hash};
use pc_platform::store::{
    Condition, Guard, Index, Item, Key, Query, Store, StoreError, Transaction, Update, Write,
    from_item, to_item,
};
use pc_platform::time::timestamp;

use crate::keys::{token_count_key, tokens_partition};

/// Most live tokens a partner holds: enough for every integration it
/// runs, few enough that a leaked admin session cannot mint an unbounded
/// number.
pub const MAX_TOKENS_PER_PARTNER: i64 = 20;

/// How long a token's `lastUsedAt` may lag: a busy integration then costs
/// one extra write a minute, not one per call.
pub const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// Characters of a token shown in lists (`pcp_` and eight more).
const SHOWN_PREFIX: usize = TOKEN_PREFIX.len() + 8;

/// A new token: 256 bits from the operating system's CSPRNG, base64url.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A token just issued: the secret (shown once) and what is stored.
pub struct IssuedToken {
    pub secret: String,
    pub record: ApiTokenRecord,
}

/// Why a token was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the partner already has {MAX_TOKENS_PER_PARTNER} API tokens")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn token_item(record: &ApiTokenRecord, hash: &str) -> Result<Item, StoreError> {
    let key = api_token_key(hash);
    let mut item = to_item(record)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "api_token".into());
    item.insert("gsi1pk".into(), tokens_partition(&record.partner_id).into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(record.created_at), record.id).into(),
    );
    Ok(item)
}

/// Issues a token for `partner_id`, counted against its cap in the same
/// transaction, so concurrent requests never pass the cap together.
pub async fn issue(
    store: &dyn Store,
    id: String,
    partner_id: &str,
    name: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<IssuedToken, IssueError> {
    let secret = new_secret();
    let record = ApiTokenRecord {
        id,
        partner_id: partner_id.to_owned(),
        name: name.to_owned(),
        prefix: secret.chars().take(SHOWN_PREFIX).collect(),
        created_by: created_by.to_owned(),
        created_at: now,
        last_used_at: None,
    };
    let counted = Update::new(token_count_key(partner_id))
        .add("count", 1)
        .set("entity", "api_token_count")
        .when(Condition::Or(vec![
            Condition::missing("count"),
            Condition::less_than("count", MAX_TOKENS_PER_PARTNER),
        ]));
    /// The partner holds the most tokens allowed.
    const TOKEN_COUNT: Guard = Guard::new("token_count");
    let mut writes = Transaction::new();
    writes.guarded(TOKEN_COUNT, Write::Update(counted));
    writes.push(Write::put_new(token_item(&record, &token_hash(&secret))?));
    match writes.commit(store).await {
        Ok(()) => Ok(IssuedToken { secret, record }),
        Err(e) if e.failed(TOKEN_COUNT) => Err(IssueError::TooMany),
        Err(e) => Err(e.into()),
    }
}

/// A stored token with the key of its item.
pub struct StoredToken {
    pub record: ApiTokenRecord,
    pub key: Key,
}

/// The partner's live tokens, newest first (at most the cap: one page).
pub async fn list(store: &dyn Store, partner_id: &str) -> Result<Vec<StoredToken>, StoreError> {
    let page = store
        .query(
            &Query::partition(Index::Gsi1, tokens_partition(partner_id))
                .descending()
                .limit(MAX_TOKENS_PER_PARTNER as usize * 2),
        )
        .await?;
    page.items
        .into_iter()
        .map(|item| {
            let key =
                Key::of(&item).ok_or_else(|| StoreError::Invalid("a token without key".into()))?;
            Ok(StoredToken {
                record: from_item(item)?,
                key,
            })
        })
        .collect()
}

/// Revokes the partner's token `token_id`: its item goes (the next call
/// with it finds nothing) and the count drops, in one transaction.
/// `false` when the partner has no such token (or it was just revoked).
pub async fn revoke(
    store: &dyn Store,
    partner_id: &str,
    token_id: &str,
) -> Result<bool, StoreError> {
    let Some(token) = list(store, partner_id)
        .await?
        .into_iter()
        .find(|t| t.record.id == token_id)
    else {
        return Ok(false);
    };
    /// The token was revoked meanwhile.
    const TOKEN: Guard = Guard::new("token");
    let mut writes = Transaction::new();
    writes.guarded(
        TOKEN,
        Write::Delete {
            key: token.key,
            condition: Some(Condition::Exists),
        },
    );
    writes.push(Write::Update(
        Update::new(token_count_key(partner_id)).add("count", -1),
    ));
    match writes.commit(store).await {
        Ok(()) => Ok(true),
        Err(e) if e.failed(TOKEN) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Notes that the token at `key` was used at `now`, at most once per
/// [`LAST_USED_RESOLUTION`]: a conditional update that does nothing when
/// the stored time is recent, and never brings back a revoked token.
pub async fn record_use(
    store: &dyn Store,
    key: &Key,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let recent = timestamp(now - LAST_USED_RESOLUTION);
    let update = Update::new(key.clone())
        .set("lastUsedAt", timestamp(now))
        .when(Condition::Exists.and(Condition::Or(vec![
            Condition::missing("lastUsedAt"),
            Condition::less_than("lastUsedAt", recent),
        ])));
    match store.update(update).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::embedded::EmbeddedStore;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn secrets_are_prefixed_256_bit_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("pcp_"));
        assert_eq!(a.len(), 4 + 43, "32 bytes in unpadded base64url");
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn the_cap_holds_and_revoking_frees_a_place() {
        let store = EmbeddedStore::in_memory();
        let now = at("2030-01-01T00:00:00Z");
        let mut first = None;
        for n in 0..MAX_TOKENS_PER_PARTNER {
            let issued = issue(&store, format!("t{n:02}"), "p1", "ci", "u1", now)
                .await
                .unwrap();
            first.get_or_insert(issued.record.id);
        }
        let over = issue(&store, "t99".into(), "p1", "ci", "u1", now).await;
        assert!(matches!(over, Err(IssueError::TooMany)));
        // Another partner has its own cap.
        issue(&store, "o1".into(), "p2", "ci", "u2", now)
            .await
            .unwrap();
        let first = first.unwrap();
        assert!(revoke(&store, "p1", &first).await.unwrap());
        assert!(!revoke(&store, "p1", &first).await.unwrap(), "once");
        assert!(!revoke(&store, "p2", "t01").await.unwrap(), "not p2's");
        issue(&store, "t20".into(), "p1", "ci", "u1", now)
            .await
            .unwrap();
        assert_eq!(list(&store, "p1").await.unwrap().len(), 20);
    }

    async fn last_used(store: &EmbeddedStore, key: &Key) -> Option<String> {
        let item = store.get(key).await.unwrap()?;
        item.get("lastUsedAt")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    }

    #[tokio::test]
    async fn use_is_noted_at_most_once_a_minute_and_never_revives_a_token() {
        let store = EmbeddedStore::in_memory();
        let now = at("2030-01-01T00:00:00Z");
        let issued = issue(&store, "t1".into(), "p1", "ci", "u1", now)
            .await
            .unwrap();
        let key = api_token_key(&token_hash(&issued.secret));
        record_use(&store, &key, now).await.unwrap();
        record_use(&store, &key, now + Duration::seconds(30))
            .await
            .unwrap();
        assert_eq!(last_used(&store, &key).await, Some(timestamp(now)));
        let later = now + Duration::seconds(90);
        record_use(&store, &key, later).await.unwrap();
        assert_eq!(last_used(&store, &key).await, Some(timestamp(later)));
        assert!(revoke(&store, "p1", "t1").await.unwrap());
        record_use(&store, &key, later + Duration::hours(1))
            .await
            .unwrap();
        assert!(
            store.get(&key).await.unwrap().is_none(),
            "no item comes back"
        );
    }
}
