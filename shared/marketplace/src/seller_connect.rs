//! Whether a seller can be paid: its Stripe Connect account's state, as the
//! Stripe Connect capability of billing records it. A lead can be listed
//! only by a partner whose connected account accepts charges.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | Stripe Connect state of a partner | `PARTNER#<pid>` | `STRIPECONNECT` |
//!
//! Attributes: `entity` = `stripe_connect`, `partnerId`, `accountId`
//! (`acct_…`), `chargesEnabled`, `payoutsEnabled` (booleans, as the last
//! `account.updated` said), `updatedAt`. The marketplace only reads
//! `chargesEnabled`; a partner without the item has not connected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_platform::store::{Item, Key, Store, StoreError, Write, from_item, to_item};
use pc_platform::time::serde_millis;

/// The sort key of the Stripe Connect state under the partner's partition.
pub const CONNECT_SORT_KEY: &str = "STRIPECONNECT";

pub fn connect_key(partner_id: &str) -> Key {
    Key::new(format!("PARTNER#{partner_id}"), CONNECT_SORT_KEY)
}

/// A partner's Stripe Connect account as stored at `PARTNER#<pid>` / `STRIPECONNECT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectState {
    pub partner_id: String,
    pub account_id: String,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The stored item of a partner's Stripe Connect state.
pub fn connect_item(state: &ConnectState) -> Result<Item, StoreError> {
    let mut item = to_item(state)?;
    let key = connect_key(&state.partner_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "stripe_connect".into());
    Ok(item)
}

/// The write that records `state` (overwriting the previous one).
pub fn record_connect_write(state: &ConnectState) -> Result<Write, StoreError> {
    Ok(Write::put(connect_item(state)?))
}

pub async fn get_connect_state(
    store: &dyn Store,
    partner_id: &str,
) -> Result<Option<ConnectState>, StoreError> {
    store
        .get(&connect_key(partner_id))
        .await?
        .map(from_item)
        .transpose()
}

/// Whether `partner_id` may list leads: its connected account accepts
/// charges. Reads only `chargesEnabled`, so a record written with more
/// attributes still answers.
pub async fn charges_enabled(store: &dyn Store, partner_id: &str) -> Result<bool, StoreError> {
    Ok(store
        .get(&connect_key(partner_id))
        .await?
        .and_then(|item| item.get("chargesEnabled").and_then(Value::as_bool))
        .unwrap_or(false))
}
