//! In-process runners of the local server: queue workers off the embedded
//! queue (or SQS), schedules off the embedded scheduler, and the drain that
//! runs everything pending to completion.

pub mod drain;
pub mod in_flight;
pub mod queue;
pub mod scheduler;
pub mod sqs;
