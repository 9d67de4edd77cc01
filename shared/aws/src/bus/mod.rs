//! The event bus port on EventBridge.

pub mod eventbridge;

pub use eventbridge::EventBridgeBus;
