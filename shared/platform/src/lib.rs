//! Ports and their embedded adapters: everything a handler may touch
//! outside its own logic. Production adapters for AWS live in `pc-aws`.

pub mod bus;
pub mod cipher;
pub mod clock;
pub mod config;
pub mod context;
pub mod crm;
pub mod email;
pub mod error_code;
pub mod failure;
pub mod ids;
pub mod keys;
pub mod money;
pub mod not_granted;
pub mod objects;
pub mod outbox;
pub mod payments;
pub mod queue;
pub mod realtime;
pub mod receivers;
pub mod secrets;
pub mod session_keys;
pub mod store;
pub mod time;

pub use context::{AppContext, AppState, EmbeddedParts};
