//! A seller's Stripe Connect account, as the marketplace reads it before
//! a listing or a purchase: one Express account per partner, created once
//! by billing's onboarding endpoint (idempotency key
//! `connect-account:<partnerId>`), whose flags are moved only by Stripe's
//! `account.updated` (billing's Stripe webhook worker). Kept with the
//! partner's other records so every capability can read it.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Other capabilities read it with [`connect_state`] (one get) and
//! [`ConnectState::can_receive_payments`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::payments::ConnectedAccount;
use pc_platform::store::{Condition, Store, StoreError, Update, Write, to_item};
use pc_platform::time::timestamp;

pub use crate::keys::connect_key;

/// What is known of a partner's connected account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectState {
    pub partner_id: String,
    /// Stripe's `acct_...`.
    pub account_id: String,
    pub details_submitted: bool,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    /// When Stripe sent the state kept here (Unix seconds); `None` until
    /// the first `account.updated`.
    #[serde(default)]
    pub state_as_of: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl ConnectState {
    /// A partner may sell (and be paid through a transfer) only once Stripe
    /// enabled both charges and payouts on its account.
    pub fn can_receive_payments(&self) -> bool {
        self.charges_enabled && self.payouts_enabled
    }
}

/// The partner's connect state, if it ever started connecting.
pub async fn connect_state(
    store: &dyn Store,
    partner_id: &str,
) -> Result<Option<ConnectState>, StoreError> {
    store.get_as(&connect_key(partner_id)).await
}

/// Keeps a newly created account; of two concurrent first connections the
/// second finds the first's record (the same account: one idempotency key).
pub fn first_state_write(
    partner_id: &str,
    account: &ConnectedAccount,
    now: DateTime<Utc>,
) -> Result<Write, StoreError> {
    let state = ConnectState {
        partner_id: partner_id.to_owned(),
        account_id: account.id.clone(),
        details_submitted: account.details_submitted,
        charges_enabled: account.charges_enabled,
        payouts_enabled: account.payouts_enabled,
        state_as_of: None,
        created_at: timestamp(now),
        updated_at: timestamp(now),
    };
    let key = connect_key(partner_id);
    let mut item = to_item(&state)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "stripe_connect".into());
    Ok(Write::put_new(item))
}

/// Moves the record to `account` as Stripe showed it at `as_of` (the
/// event's time), on condition that it is still that account and that no
/// later state was applied: a late event changes nothing.
pub fn state_update(
    partner_id: &str,
    account: &ConnectedAccount,
    as_of: i64,
    now: DateTime<Utc>,
) -> Update {
    Update::new(connect_key(partner_id))
        .set("detailsSubmitted", account.details_submitted)
        .set("chargesEnabled", account.charges_enabled)
        .set("payoutsEnabled", account.payouts_enabled)
        .set("stateAsOf", as_of)
        .set("updatedAt", timestamp(now))
        .when(
            Condition::equals("accountId", account.id.as_str()).and(Condition::Or(vec![
                Condition::missing("stateAsOf"),
                Condition::LessOrEqual("stateAsOf".into(), as_of.into()),
            ])),
        )
}
