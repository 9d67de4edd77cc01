//! Every key the realtime capability writes, and the items under them. Store modules
//! build these keys only through the functions here.
//!
//! ## Connections ([`crate::connections_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | WebSocket connection | `WSCONN#<connectionId>` | `CONN` | `PARTNER#<pid>#WSCONNS` / `<connectionId>` | `WSCONNS` / `<connectionId>` |
//!
//! ## Connection tickets ([`crate::tickets`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | connection ticket | `WSTICKET#<sha256 hex>` | `TICKET` |

use pc_platform::store::{Key, partner_collection};

/// An open WebSocket connection.
pub fn connection_key(connection_id: &str) -> Key {
    Key::new(format!("WSCONN#{connection_id}"), "CONN")
}

/// The gsi1 partition of a partner's open connections.
pub fn partner_connections(partner_id: &str) -> String {
    partner_collection(partner_id, "WSCONNS")
}

/// The gsi2 partition of every open connection.
pub const ALL_CONNECTIONS: &str = "WSCONNS";

/// A connection ticket, by the SHA-256 hash (hex) of the ticket.
pub fn ticket_key(hash: &str) -> Key {
    Key::new(format!("WSTICKET#{hash}"), "TICKET")
}
