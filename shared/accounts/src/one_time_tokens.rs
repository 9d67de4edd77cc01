//! Single-use tokens sent by email (invitations, password resets,
//! registration verification). The token itself leaves only in the email;
//! the store keeps its SHA-256 hash, and consuming it is one conditional
//! update, so it works once even when two requests race.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use pc_platform::store::{Condition, Item, Store, StoreError, Update, Write};
use pc_platform::time::timestamp;

pub use crate::keys::token_key;

/// What a token lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
    RegistrationVerification,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
            Purpose::RegistrationVerification => "registration_verification",
        }
    }

    /// How long a token of this purpose lives.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation => Duration::days(7),
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::RegistrationVerification => Duration::days(2),
        }
    }
}

/// A freshly issued token: the secret for the email and the item to store.
pub struct IssuedToken {
    /// 32 random bytes, hex: URL-safe as it is.
    pub secret: String,
    pub hash: String,
    pub write: Write,
}

/// The hash under which a token is stored.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// A new token for `user_id`, as a write to add to the caller's transaction.
pub fn issue(
    purpose: Purpose,
    user_id: &str,
    partner_id: Option<&str>,
    now: DateTime<Utc>,
) -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let hash = hash_token(&secret);
    let key = token_key(&hash);
    let expires = now + purpose.lifetime();
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "one_time_token".into());
    item.insert("purpose".into(), purpose.as_str().into());
    item.insert("userId".into(), user_id.into());
    if let Some(pid) = partner_id {
        item.insert("partnerId".into(), pid.into());
    }
    item.insert("used".into(), false.into());
    item.insert("expiresAt".into(), timestamp(expires).into());
    // Removed by DynamoDB TTL a day after it can no longer be used.
    item.insert("ttl".into(), (expires.timestamp() + 86_400).into());
    IssuedToken {
        secret,
        hash,
        write: Write::put_new(item),
    }
}

/// What a consumed token was for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumed {
    pub user_id: String,
    pub partner_id: Option<String>,
}

/// The token is unknown, used, expired or for another purpose: callers
/// answer all of these alike.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("the link is invalid or has expired")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Marks the token used, if it is unused, unexpired and for `purpose`.
pub async fn consume(
    store: &dyn Store,
    purpose: Purpose,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Consumed, ConsumeError> {
    let secret = secret.trim();
    if secret.is_empty() || secret.len() > 256 {
        return Err(ConsumeError::Invalid);
    }
    let update = Update::new(token_key(&hash_token(secret)))
        .set("used", true)
        .set("usedAt", timestamp(now))
        .when(
            Condition::Exists
                .and(Condition::equals("purpose", purpose.as_str()))
                .and(Condition::equals("used", false))
                .and(Condition::GreaterThan(
                    "expiresAt".into(),
                    timestamp(now).into(),
                )),
        );
    match store.update(update).await {
        Ok(item) => {
            let text = |name: &str| item.get(name).and_then(|v| v.as_str()).map(str::to_owned);
            Ok(Consumed {
                user_id: text("userId").ok_or(ConsumeError::Invalid)?,
                partner_id: text("partnerId"),
            })
        }
        Err(e) if e.is_condition_failure() => Err(ConsumeError::Invalid),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::embedded::EmbeddedStore;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[tokio::test]
    async fn single_use_purpose_bound_and_expiring() {
        let store = EmbeddedStore::in_memory();
        let now = at("2024-01-01T00:00:00Z");
        let token = issue(Purpose::PasswordReset, "u1", None, now);
        assert_eq!(token.secret.len(), 64);
        store.transact(vec![token.write]).await.unwrap();
        assert!(matches!(
            consume(&store, Purpose::Invitation, &token.secret, now).await,
            Err(ConsumeError::Invalid)
        ));
        let used = consume(&store, Purpose::PasswordReset, &token.secret, now)
            .await
            .unwrap();
        assert_eq!(used.user_id, "u1");
        assert!(matches!(
            consume(&store, Purpose::PasswordReset, &token.secret, now).await,
            Err(ConsumeError::Invalid)
        ));

        let late = issue(Purpose::PasswordReset, "u1", None, now);
        store.transact(vec![late.write]).await.unwrap();
        assert!(matches!(
            consume(
                &store,
                Purpose::PasswordReset,
                &late.secret,
                now + Duration::hours(2)
            )
            .await,
            Err(ConsumeError::Invalid)
        ));
        assert!(matches!(
            consume(&store, Purpose::PasswordReset, "nope", now).await,
            Err(ConsumeError::Invalid)
        ));
    }
}
