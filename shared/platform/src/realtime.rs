//! The push port of real-time delivery: sends one message to one open
//! WebSocket connection. In AWS the API Gateway Management API posts to a
//! connection of the WebSocket API (`pc-aws`); on the dev server
//! [`LocalConnections`] hands it to the socket this process holds. Either
//! way a connection that is gone answers [`PushError::Gone`], and the
//! caller forgets it.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The client disconnected (API Gateway's 410 Gone).
    #[error("the connection is gone")]
    Gone,
    #[error("push failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait ConnectionPush: Send + Sync {
    async fn push(&self, connection_id: &str, message: &str) -> Result<(), PushError>;
}

/// The sockets this process holds, by connection id: each open socket
/// drains its receiver onto the wire.
#[derive(Default)]
pub struct LocalConnections {
    senders: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl LocalConnections {
    /// Registers a socket; what is pushed to `connection_id` arrives on
    /// the answered receiver.
    pub fn open(&self, connection_id: &str) -> mpsc::UnboundedReceiver<String> {
        let (sender, receiver) = mpsc::unbounded_channel();
        if let Ok(mut senders) = self.senders.lock() {
            senders.insert(connection_id.to_owned(), sender);
        }
        receiver
    }

    pub fn close(&self, connection_id: &str) {
        if let Ok(mut senders) = self.senders.lock() {
            senders.remove(connection_id);
        }
    }
}

#[async_trait]
impl ConnectionPush for LocalConnections {
    async fn push(&self, connection_id: &str, message: &str) -> Result<(), PushError> {
        let sender = self
            .senders
            .lock()
            .map_err(|_| PushError::Failed("connection table poisoned".into()))?
            .get(connection_id)
            .cloned();
        match sender {
            Some(sender) if sender.send(message.to_owned()).is_ok() => Ok(()),
            _ => Err(PushError::Gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_reaches_an_open_socket_and_a_closed_one_is_gone() {
        let local = LocalConnections::default();
        let mut receiver = local.open("c1");
        local.push("c1", "hello").await.unwrap();
        assert_eq!(receiver.recv().await.as_deref(), Some("hello"));
        local.close("c1");
        assert_eq!(local.push("c1", "again").await, Err(PushError::Gone));
        assert_eq!(local.push("never", "x").await, Err(PushError::Gone));
    }
}
