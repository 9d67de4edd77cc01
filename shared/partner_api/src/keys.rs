//! Every key the partner API capability writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## API tokens ([`crate::tokens_store`]; the token's own key is `pc_http::keys::api_token_key`, the auth layer reads it)
//!
//! | item | pk | sk | gsi1 | attributes |
//! |---|---|---|---|---|
//! | API token | `APITOKEN#<sha256 hex>` | `TOKEN` | `PARTNER#<pid>#APITOKENS` / `<createdAt>#<id>` | `id`, `partnerId`, `name`, `prefix`, `createdBy`, `createdAt`, `lastUsedAt?` |
//! | a partner's token count | `APITOKENS#<pid>` | `COUNT` | | `count` |
//! | pattern | key condition |
//! |---|---|
//! | authenticate a call | get `APITOKEN#<sha256>` |
//! | a partner's tokens, newest first | `gsi1pk = PARTNER#<pid>#APITOKENS`, descending |
//! | at most [`MAX_TOKENS_PER_PARTNER`] | conditional add on `APITOKENS#<pid>` in the issuing transaction |
//!
//! ## Status requests ([`crate::status_request`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | status request | `APIREQUEST#<requestId>` | `REQUEST` | the command, `state` (`pending` → `applied` / `rejected`, once), `error?`, `createdAt`, `settledAt?`, `ttl` (30 days) |

use pc_platform::store::{Key, partner_collection};

/// The gsi1 partition of a partner's API tokens, by creation.
pub fn tokens_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "APITOKENS")
}

/// A partner's API token count.
pub fn token_count_key(partner_id: &str) -> Key {
    Key::new(format!("APITOKENS#{partner_id}"), "COUNT")
}

/// A status request, by the caller's request id.
pub fn request_key(request_id: &str) -> Key {
    Key::new(format!("APIREQUEST#{request_id}"), "REQUEST")
}
