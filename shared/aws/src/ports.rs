//! The ports of one deployed function, built one AWS client at a time.
//! A function's generated `main` names the ports its permissions grant
//! (`AwsPorts::load(config).await.store().queue().context()`), so a
//! function that never sends email has no SES client in its binary: the
//! choice is made at compile time, by which of these calls exist. The
//! ports not built stay [`NotGranted`](pc_platform::not_granted::NotGranted)
//! and refuse with an error naming the missing grant.
//!
//! Each port's SDK client is built at its first use ([`LazyClient`]): a
//! function pays at its cold start only for the clients its first request
//! calls, whichever ports it has.

use std::sync::Arc;

use aws_config::SdkConfig;
use pc_platform::AppContext;
use pc_platform::config::Config;

use crate::bus::EventBridgeBus;
use crate::context::load_sdk_config;
use crate::email::SesEmail;
use crate::lazy_client::LazyClient;
use crate::objects::S3Objects;
use crate::queue::SqsQueue;
use crate::store::DynamoStore;

/// A function's context while its AWS ports are being built.
pub struct AwsPorts {
    sdk: SdkConfig,
    context: AppContext,
}

impl AwsPorts {
    /// Loads the environment's AWS settings (region, credentials,
    /// `AWS_ENDPOINT_URL`); no port is built yet.
    pub async fn load(config: Config) -> Self {
        Self::with_sdk(load_sdk_config().await, config)
    }

    /// The same from already loaded AWS settings.
    pub fn with_sdk(sdk: SdkConfig, config: Config) -> Self {
        Self {
            sdk,
            context: AppContext::granting_nothing(config),
        }
    }

    /// The table, on DynamoDB.
    pub fn store(mut self) -> Self {
        self.context.store = Arc::new(DynamoStore::new(
            LazyClient::from_sdk(&self.sdk, aws_sdk_dynamodb::Client::new),
            &self.context.config.table_name,
        ));
        self
    }

    /// The queues, on SQS (sending, and the dead-letter operations).
    pub fn queue(mut self) -> Self {
        self.context.queue = Arc::new(SqsQueue::from_config(
            LazyClient::from_sdk(&self.sdk, aws_sdk_sqs::Client::new),
            &self.context.config,
        ));
        self
    }

    /// Email, on SES.
    pub fn email(mut self) -> Self {
        self.context.email = Arc::new(SesEmail::new(LazyClient::from_sdk(
            &self.sdk,
            aws_sdk_ses::Client::new,
        )));
        self
    }

    /// The event bus, on EventBridge.
    pub fn bus(mut self) -> Self {
        self.context.bus = Arc::new(EventBridgeBus::new(
            LazyClient::from_sdk(&self.sdk, aws_sdk_eventbridge::Client::new),
            &self.context.config.event_bus_name,
        ));
        self
    }

    /// The uploads bucket, on S3.
    pub fn objects(mut self) -> Self {
        self.context.objects = Arc::new(S3Objects::new(
            LazyClient::from_sdk(&self.sdk, crate::context::s3_client),
            &self.context.config.uploads_bucket,
        ));
        self
    }

    /// The WebSocket API's connections, through its Management API at
    /// the stage URL in `WEBSOCKET_ENDPOINT`; without it every push fails
    /// (and says so), the rest of the function still works.
    pub fn push(mut self) -> Self {
        match std::env::var(crate::realtime::ENDPOINT_VARIABLE) {
            Ok(endpoint) if !endpoint.is_empty() => {
                self.context.push = Arc::new(crate::ApiGatewayPush::new(&self.sdk, &endpoint));
            }
            _ => tracing::error!(
                variable = crate::realtime::ENDPOINT_VARIABLE,
                "unset: pushes to WebSocket connections will fail"
            ),
        }
        self
    }

    /// The finished context.
    pub fn context(self) -> AppContext {
        self.context
    }
}

#[cfg(test)]
mod tests {
    use pc_platform::queue::QueueName;
    use pc_platform::store::Key;

    use super::*;

    fn sdk() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build()
    }

    #[tokio::test]
    async fn ports_not_built_refuse_and_name_the_grant() {
        let context = AwsPorts::with_sdk(sdk(), Config::local_defaults())
            .store()
            .context();
        let queue = context
            .queue
            .send(QueueName::Emails, "{}")
            .await
            .unwrap_err();
        assert!(queue.to_string().contains("Permissions"), "{queue}");
        let bus = context.bus.publish(&[]).await.unwrap_err();
        assert!(bus.to_string().contains("Permissions"), "{bus}");

        let nothing = AppContext::granting_nothing(Config::local_defaults());
        let store = nothing.store.get(&Key::new("P", "S")).await.unwrap_err();
        assert!(store.to_string().contains("Permissions"), "{store}");
    }
}
