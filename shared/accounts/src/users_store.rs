//! Users in the single table: the profile item, the unique-email guard
//! item and the index entries for listing, written together.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The counter (`activeOwners`) moves in the same transaction as every
//! user write that changes who is an active owner, with the condition
//! `activeOwners > 1` when it goes down: the last owner cannot be demoted,
//! deactivated or deleted, even by two concurrent requests.
//! A self-registration's guard also carries `registrationExpiresAt`,
//! `registrationPartnerId` and `ttl` until the email is verified.
//! Deleted users keep their email guard: the address stays taken, so
//! nothing that pointed at the old account can be picked up by a new one.

use pc_http::identity::{Role, UserRecord, user_key};

use crate::keys::{USERS_INDEX, partner_users_collection};
pub use crate::keys::{email_guard_key, owner_counter_key};
use crate::partners_store::{REGISTRATION_EXPIRES_AT, RegistrationExpiry};
use pc_platform::store::pages::query_all;
use pc_platform::store::{
    Condition, Guard, Item, Store, StoreError, Transaction, Update, Write, from_item, to_item,
};
use pc_platform::time::timestamp;

/// An owner who can act: active, not deleted, invitation accepted.
pub fn counts_as_active_owner(user: &UserRecord) -> bool {
    user.role == Role::Owner && user.can_sign_in() && user.password_hash.is_some()
}

/// The counter write for a change from `before` to `after`, if any.
fn owner_counter_write(before: Option<&UserRecord>, after: &UserRecord) -> Option<Write> {
    let was = before.is_some_and(counts_as_active_owner);
    let is = counts_as_active_owner(after);
    let update = Update::new(owner_counter_key()).set("entity", "owner_counter");
    match (was, is) {
        (false, true) => Some(Write::Update(update.add("activeOwners", 1))),
        (true, false) => {
            Some(Write::Update(update.add("activeOwners", -1).when(
                Condition::GreaterThan("activeOwners".into(), 1.into()),
            )))
        }
        _ => None,
    }
}

/// The stored item of a user, with its key and index attributes.
pub fn user_item(user: &UserRecord) -> Result<Item, StoreError> {
    let mut item = to_item(user)?;
    let key = user_key(&user.id);
    let order = format!("{}#{}", timestamp(user.created_at), user.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "user".into());
    item.insert("gsi1pk".into(), USERS_INDEX.into());
    item.insert("gsi1sk".into(), order.clone().into());
    if let Some(pid) = &user.partner_id {
        item.insert("gsi2pk".into(), partner_users_collection(pid).into());
        item.insert("gsi2sk".into(), order.into());
    }
    Ok(item)
}

fn guard_item(user: &UserRecord) -> Item {
    let key = email_guard_key(&user.email);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "email_guard".into());
    item.insert("userId".into(), user.id.clone().into());
    item
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with this email exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The writes that create `user` only if its email is free; callers may
/// add their own writes (a partner, say) to the same transaction.
pub fn create_user_writes(user: &UserRecord) -> Result<Vec<Write>, StoreError> {
    let mut writes = vec![
        Write::Put {
            item: guard_item(user),
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: user_item(user)?,
            condition: Some(Condition::NotExists),
        },
    ];
    writes.extend(owner_counter_write(None, user));
    Ok(writes)
}

/// The writes that create the first user of a self-registration: like
/// [`create_user_writes`], but the user item and the email guard expire
/// with the registration, and an email held by an expired registration is
/// taken over. The guard names the registration's partner, so the one
/// taking it over can remove what the expired one left.
pub fn registration_user_writes(
    user: &UserRecord,
    partner_id: &str,
    expiry: RegistrationExpiry,
) -> Result<Vec<Write>, StoreError> {
    let mut guard = guard_item(user);
    guard.insert(REGISTRATION_PARTNER_ID.into(), partner_id.into());
    expiry.mark(&mut guard);
    let mut item = user_item(user)?;
    item.insert("ttl".into(), expiry.expires_at.into());
    Ok(vec![
        Write::Put {
            item: guard,
            condition: Some(expiry.claim_condition()),
        },
        Write::put_new(item),
    ])
}

/// The attribute of an email guard naming its registration's partner.
pub const REGISTRATION_PARTNER_ID: &str = "registrationPartnerId";

/// The user and partner ids of the expired, unverified registration that
/// holds `email`, if one does.
pub async fn expired_registration(
    store: &dyn Store,
    email: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    let Some(guard) = store.get(&email_guard_key(email)).await? else {
        return Ok(None);
    };
    let expired = guard
        .get(REGISTRATION_EXPIRES_AT)
        .and_then(|v| v.as_i64())
        .is_some_and(|at| at < now);
    let text = |name: &str| guard.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(
        match (expired, text("userId"), text(REGISTRATION_PARTNER_ID)) {
            (true, Some(user), Some(partner)) => Some((user, partner)),
            _ => None,
        },
    )
}

/// Creates `user`; exactly one of any number of concurrent creations with
/// the same email succeeds.
pub async fn create_user(store: &dyn Store, user: &UserRecord) -> Result<(), CreateUserError> {
    match store.transact(create_user_writes(user)?).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_condition_failure() => Err(CreateUserError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_user(store: &dyn Store, id: &str) -> Result<Option<UserRecord>, StoreError> {
    store.get_as(&user_key(id)).await
}

/// The user owning `email`, through its guard item.
pub async fn find_by_email(
    store: &dyn Store,
    email: &str,
) -> Result<Option<UserRecord>, StoreError> {
    let Some(guard) = store.get(&email_guard_key(email)).await? else {
        return Ok(None);
    };
    match guard.get("userId").and_then(|v| v.as_str()) {
        Some(id) => get_user(store, id).await,
        None => Ok(None),
    }
}

/// Why a user could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveUserError {
    /// Someone else changed the user since it was read.
    #[error("the user was changed by someone else; reload and retry")]
    Stale,
    /// The change would leave no active owner.
    #[error("the last active owner cannot be demoted, deactivated or deleted")]
    LastOwner,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replaces `before` by `after` if nobody changed it in between (optimistic
/// concurrency on `updatedAt`), keeping the active-owner counter exact.
pub async fn save_user(
    store: &dyn Store,
    before: &UserRecord,
    after: &UserRecord,
) -> Result<(), SaveUserError> {
    save_user_with(store, before, after, Vec::new()).await
}

/// [`save_user`] with the caller's `extra` writes (the change's outbox
/// item) in the same transaction, after the user's own.
pub async fn save_user_with(
    store: &dyn Store,
    before: &UserRecord,
    after: &UserRecord,
    extra: Vec<Write>,
) -> Result<(), SaveUserError> {
    /// The partner's last active owner would go.
    const LAST_OWNER: Guard = Guard::new("last_owner");
    let mut writes = Transaction::new();
    writes.push(Write::Put {
        item: user_item(after)?,
        condition: Some(Condition::equals("updatedAt", timestamp(before.updated_at))),
    });
    if let Some(counter) = owner_counter_write(Some(before), after) {
        writes.guarded(LAST_OWNER, counter);
    }
    writes.extend(extra);
    match writes.commit(store).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LAST_OWNER) => Err(SaveUserError::LastOwner),
        Err(e) if e.is_condition_failure() => Err(SaveUserError::Stale),
        Err(e) => Err(e.into()),
    }
}

/// Every user of the system (`partner_id` `None`) or of one partner, in
/// creation order, deleted ones included (one query, paged through).
pub async fn list_users(
    store: &dyn Store,
    partner_id: Option<&str>,
) -> Result<Vec<UserRecord>, StoreError> {
    use pc_platform::store::{Index, Query};
    let base = match partner_id {
        Some(pid) => Query::partition(Index::Gsi2, partner_users_collection(pid)),
        None => Query::partition(Index::Gsi1, USERS_INDEX),
    };
    query_all(store, base, usize::MAX)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// The partner's users who may sign in (active, not deleted): those who
/// get its emails and alerts.
pub async fn active_users_of_partner(
    store: &dyn Store,
    partner_id: &str,
) -> Result<Vec<UserRecord>, StoreError> {
    let users = list_users(store, Some(partner_id)).await?;
    Ok(users.into_iter().filter(UserRecord::can_sign_in).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use pc_platform::store::embedded::EmbeddedStore;

    fn owner(id: &str) -> UserRecord {
        let now = Utc::now();
        UserRecord {
            id: id.into(),
            email: format!("{id}@x.io"),
            name: id.into(),
            role: Role::Owner,
            partner_id: None,
            is_active: true,
            is_partner_owner: false,
            password_hash: Some("$argon2id$stub".into()),
            tokens_valid_after: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn demoted(user: &UserRecord) -> UserRecord {
        let mut after = user.clone();
        after.role = Role::Admin;
        after.updated_at = user.updated_at + Duration::seconds(1);
        after
    }

    async fn active_owners(store: &dyn Store) -> i64 {
        store.get(&owner_counter_key()).await.unwrap().unwrap()["activeOwners"]
            .as_i64()
            .unwrap()
    }

    #[tokio::test]
    async fn the_last_active_owner_survives_concurrent_demotions() {
        let store = EmbeddedStore::in_memory();
        let (a, b) = (owner("a"), owner("b"));
        create_user(&store, &a).await.unwrap();
        create_user(&store, &b).await.unwrap();
        assert_eq!(active_owners(&store).await, 2);
        let (a2, b2) = (demoted(&a), demoted(&b));
        let (ra, rb) = tokio::join!(save_user(&store, &a, &a2), save_user(&store, &b, &b2));
        let outcomes = [ra, rb];
        assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(
            outcomes
                .iter()
                .any(|r| matches!(r, Err(SaveUserError::LastOwner)))
        );
        assert_eq!(active_owners(&store).await, 1);
    }

    #[tokio::test]
    async fn a_stale_write_is_refused_and_duplicate_emails_too() {
        let store = EmbeddedStore::in_memory();
        let a = owner("a");
        create_user(&store, &a).await.unwrap();
        let mut renamed = a.clone();
        renamed.name = "First".into();
        renamed.updated_at = a.updated_at + Duration::seconds(1);
        save_user(&store, &a, &renamed).await.unwrap();
        let mut late = a.clone();
        late.name = "Second".into();
        assert!(matches!(
            save_user(&store, &a, &late).await,
            Err(SaveUserError::Stale)
        ));
        let mut twin = owner("b");
        twin.email = "A@X.IO".to_lowercase();
        assert!(matches!(
            create_user(&store, &twin).await,
            Err(CreateUserError::EmailTaken)
        ));
        // An invited owner (no password yet) does not count.
        let mut invited = owner("c");
        invited.password_hash = None;
        create_user(&store, &invited).await.unwrap();
        assert_eq!(active_owners(&store).await, 1);
    }
}
