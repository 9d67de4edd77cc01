//! The real-time push port on API Gateway's Management API: posts one
//! message to one connection of the WebSocket API
//! (`POST /@connections/{id}` on the API's stage URL, the endpoint the
//! broadcaster is configured with). A connection that has gone answers
//! 410 (`GoneException`), which the port reports as
//! [`PushError::Gone`] so the caller forgets it.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use pc_platform::realtime::{ConnectionPush, PushError};

use crate::lazy_client::LazyClient;
use crate::sdk_error::failure;

/// The variable naming the WebSocket API's stage URL
/// (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`).
pub const ENDPOINT_VARIABLE: &str = "WEBSOCKET_ENDPOINT";

#[derive(Clone, Debug)]
pub struct ApiGatewayPush {
    client: LazyClient<Client>,
}

impl ApiGatewayPush {
    /// A client of the Management API at `endpoint` (the stage URL).
    pub fn new(sdk: &SdkConfig, endpoint: &str) -> Self {
        let endpoint = endpoint.to_owned();
        Self {
            client: LazyClient::from_sdk(sdk, move |sdk| {
                let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
                    .endpoint_url(endpoint)
                    .build();
                Client::from_conf(config)
            }),
        }
    }
}

#[async_trait]
impl ConnectionPush for ApiGatewayPush {
    async fn push(&self, connection_id: &str, message: &str) -> Result<(), PushError> {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(message.as_bytes()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => {
                Err(PushError::Gone)
            }
            Err(e) => Err(PushError::Failed(failure(&e).to_string())),
        }
    }
}

#[cfg(test)]
mod tests;
