//! The AWS adapters against moto's server: the store contract on DynamoDB,
//! and SQS, SES and EventBridge round trips. One server serves every test
//! (started once, see [`harness`]); each test works on its own table, queues
//! and bus, so tests run in parallel.

mod bus;
mod context;
mod email;
mod harness;
mod queue;
mod store;
