//! The AWS adapters against moto's server: the store contract on DynamoDB,
//! and SQS, SES and EventBridge round trips. One server serves every test
//! (started once by `pc_aws::moto`); each test works on its own table, queues
//! and bus, so tests run in parallel.

mod bus;
mod context;
mod email;
mod queue;
mod store;
