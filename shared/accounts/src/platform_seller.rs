//! The platform seller: the one partner of kind `platform`, through which
//! the platform sells its own inventory on the marketplace and keeps the
//! whole price. It has no Stripe Connect account: its buyers pay the
//! platform's own account, with no transfer and no application fee.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The guard is put (if absent) in the transaction that creates the
//! platform partner, so two concurrent creations cannot both succeed.

use pc_platform::store::{Item, Store, StoreError, Write};

pub use crate::keys::platform_seller_guard_key;
use crate::partners_store::{PartnerKind, get_partner};
use crate::stripe_connect::{ConnectState, connect_state};

/// Claims the platform seller's place for `partner_id` (fails if taken).
pub fn claim_platform_seller(partner_id: &str) -> Write {
    let key = platform_seller_guard_key();
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "platform_seller_guard".into());
    item.insert("partnerId".into(), partner_id.into());
    Write::put_new(item)
}

/// Who is paid for a seller's sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payee {
    /// The platform seller: the platform's own account takes it all.
    Platform,
    /// A partner whose connected account can receive payments.
    Connected(ConnectState),
}

/// Who would be paid for `seller_id`'s sale now; `None` when nobody can
/// be (an agency whose Connect account is missing or not yet enabled).
pub async fn payee(store: &dyn Store, seller_id: &str) -> Result<Option<Payee>, StoreError> {
    let is_platform = get_partner(store, seller_id)
        .await?
        .is_some_and(|p| p.kind == PartnerKind::Platform);
    if is_platform {
        return Ok(Some(Payee::Platform));
    }
    Ok(connect_state(store, seller_id)
        .await?
        .filter(ConnectState::can_receive_payments)
        .map(Payee::Connected))
}
