//! Users in the single table: the profile item, the unique-email guard
//! item and the index entries for listing, written together.
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | user | `USER#<id>` | `PROFILE` | `USERS` / `<createdAt>#<id>` | `PARTNER#<pid>#USERS` / `<createdAt>#<id>` |
//! | email guard | `EMAIL#<email>` | `EMAIL` | | |

use pc_api::identity::{UserRecord, user_key};
use pc_platform::store::{Condition, Item, Key, Store, StoreError, Write, from_item, to_item};
use pc_platform::time::timestamp;

pub fn email_guard_key(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.to_lowercase()), "EMAIL")
}

/// The stored item of a user, with its key and index attributes.
pub fn user_item(user: &UserRecord) -> Result<Item, StoreError> {
    let mut item = to_item(user)?;
    let key = user_key(&user.id);
    let order = format!("{}#{}", timestamp(user.created_at), user.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "user".into());
    item.insert("gsi1pk".into(), "USERS".into());
    item.insert("gsi1sk".into(), order.clone().into());
    if let Some(pid) = &user.partner_id {
        item.insert("gsi2pk".into(), format!("PARTNER#{pid}#USERS").into());
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
    Ok(vec![
        Write::Put {
            item: guard_item(user),
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: user_item(user)?,
            condition: Some(Condition::NotExists),
        },
    ])
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
    store.get(&user_key(id)).await?.map(from_item).transpose()
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
