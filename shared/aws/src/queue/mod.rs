//! The queue port on SQS.

pub mod sqs;

pub use sqs::SqsQueue;
