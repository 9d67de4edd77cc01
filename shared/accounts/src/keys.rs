//! Every key the accounts capability writes, and the items under them.
//! Store modules and other capabilities build these keys only through the
//! functions here; the records the auth layer reads on every request
//! (users, sessions, partner profiles, meeting-type guards) have theirs in
//! `pc_http::keys`.
//!
//! ## Users ([`crate::users_store`]; the user key is `pc_http::keys::user_key`)
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | user | `USER#<id>` | `PROFILE` | `USERS` / `<createdAt>#<id>` | `PARTNER#<pid>#USERS` / `<createdAt>#<id>` |
//! | email guard | `EMAIL#<email>` | `EMAIL` | | |
//! | active-owner counter | `OWNERS` | `COUNT` | | |
//!
//! ## Sessions ([`crate::sessions_store`]; keys in `pc_http::keys`)
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | session | `USER#<userId>` | `SESSION#<sid>` | `refreshJti`, `previousJti`, `rotatedAt`, `revoked`, `createdAt`, `expiresAt`, `ttl` (epoch s, DynamoDB TTL) |
//!
//! ## Partners ([`crate::partners_store`]; the profile and meeting-type keys are in `pc_http::keys`)
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | partner | `PARTNER#<id>` | `PROFILE` | `PARTNERS` / `<createdAt>#<id>` |
//! | slug guard | `SLUG#<slug>` | `SLUG` | |
//! | meeting-type guard | `MEETINGTYPE#<name>` | `MEETINGTYPE` | |
//! | billing config | `PARTNER#<id>` | `BILLING` | | (see `billing_config`)
//!
//! ## Billing configuration ([`crate::billing_config`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | billing config | `PARTNER#<id>` | `BILLING` | `billingType`, `billingTerms[{startMonth, endMonth?, value}]`, `billingEmail?`, `stripeCustomerId?` |
//!
//! ## Stripe Connect state ([`crate::stripe_connect`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | Stripe Connect state | `PARTNER#<partnerId>` | `STRIPECONNECT` | `accountId`, `detailsSubmitted`, `chargesEnabled`, `payoutsEnabled`, `stateAsOf` (Unix seconds of the Stripe event last applied), `createdAt`, `updatedAt` |
//!
//! ## The platform seller ([`crate::platform_seller`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | platform-seller guard | `PLATFORMSELLER` | `GUARD` | `partnerId` |
//!
//! ## One-time tokens ([`crate::one_time_tokens`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | one-time token | `TOKEN#<sha256 hex>` | `TOKEN` | `purpose`, `userId`, `partnerId?`, `used`, `expiresAt` (RFC 3339), `ttl` (epoch s) |
//!
//! ## Rate limits ([`crate::rate_limit`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | rate counter | `RATE#<scope>#<sha256(key)>` | `WINDOW#<window start, epoch s>` | `count`, `ttl` (epoch s, DynamoDB TTL) |

use pc_platform::store::{Key, partner_collection, partner_key};

/// Where the number of active owners is kept.
pub fn owner_counter_key() -> Key {
    Key::new("OWNERS", "COUNT")
}

/// The guard that keeps an email address to one user.
pub fn email_guard_key(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.to_lowercase()), "EMAIL")
}

/// The gsi1 partition of every user, by creation.
pub const USERS_INDEX: &str = "USERS";

/// The gsi2 partition of a partner's users, by creation.
pub fn partner_users_collection(partner_id: &str) -> String {
    partner_collection(partner_id, "USERS")
}

/// The guard that keeps a slug to one partner.
pub fn slug_guard_key(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

/// A partner's billing configuration.
pub fn billing_key(partner_id: &str) -> Key {
    partner_key(partner_id, "BILLING")
}

/// A seller's Stripe Connect state.
pub fn connect_key(partner_id: &str) -> Key {
    partner_key(partner_id, "STRIPECONNECT")
}

/// The guard that allows one platform seller.
pub fn platform_seller_guard_key() -> Key {
    Key::new("PLATFORMSELLER", "GUARD")
}

/// A one-time token, by the SHA-256 hash (hex) of its secret.
pub fn token_key(hash: &str) -> Key {
    Key::new(format!("TOKEN#{hash}"), "TOKEN")
}

/// The counter of one rate-limit window: `scope`, the caller's hashed key,
/// and the window's start (epoch seconds).
pub fn rate_window_key(scope: &str, hashed_caller: &str, start: i64) -> Key {
    Key::new(
        format!("RATE#{scope}#{hashed_caller}"),
        format!("WINDOW#{start}"),
    )
}
