//! In-process runners of the local server: queue workers off the embedded
//! queue, and schedules off the embedded scheduler.

pub mod queue;
pub mod scheduler;
pub mod sqs;
