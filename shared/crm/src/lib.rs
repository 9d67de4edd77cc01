//! HubSpot: a partner connects its portal by OAuth (tokens stored
//! encrypted), the system keeps the tokens fresh and creates the partner's
//! deal pipeline; the fake HubSpot of local runs is driven by dev routes.

pub mod connection;
pub mod dev_hubspot;
pub mod error;
pub mod functions;
pub mod integration_api;
pub mod oauth_api;
pub mod oauth_state;
pub mod pipeline;
pub mod token_cipher;

pub use error::ConnectionError;
