//! Production adapters of the `pc-platform` ports on AWS: the single table
//! on DynamoDB, the queues on SQS, email on SES and domain events on
//! EventBridge, plus a bootstrap that creates those resources on a local
//! AWS-compatible endpoint (moto) and the builder of an [`AppContext`] whose
//! ports are all AWS adapters.
//!
//! [`AppContext`]: pc_platform::AppContext

pub mod bootstrap;
pub mod bus;
pub mod context;
pub mod email;
mod https;
mod lazy_client;
#[cfg(feature = "moto")]
pub mod moto;
pub mod objects;
pub mod ports;
pub mod queue;
pub mod realtime;
pub mod secrets;
pub mod store;

mod sdk_error;

pub use bootstrap::{BootstrapError, bootstrap};
pub use bus::eventbridge::EventBridgeBus;
pub use context::{AwsParts, aws_context, aws_context_with, load_sdk_config, local_sdk_config};
pub use email::ses::SesEmail;
pub use https::https_client;
pub use lazy_client::LazyClient;
pub use objects::S3Objects;
pub use ports::AwsPorts;
pub use queue::sqs::SqsQueue;
pub use realtime::ApiGatewayPush;
pub use store::dynamodb::DynamoStore;
