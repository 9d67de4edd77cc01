//! HubSpot: a partner connects its portal by OAuth (tokens stored
//! encrypted), the system keeps the tokens fresh and creates the partner's
//! deal pipeline; the fake HubSpot of local runs is driven by dev routes.

pub mod connection;
pub mod error;
pub mod token_cipher;

pub use error::ConnectionError;
