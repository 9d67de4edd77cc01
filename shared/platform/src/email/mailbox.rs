//! The local mailbox: every "sent" email stored as an item, newest first.
//!
//! Its items and their keys: [`crate::keys`].

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{EmailError, EmailSender, OutgoingEmail};
use crate::store::{Index, Query, Store, from_item, to_item};

use crate::keys::MAILBOX_PARTITION;

/// A mail as the mailbox keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEmail {
    pub id: String,
    pub sent_at: String,
    #[serde(flatten)]
    pub email: OutgoingEmail,
}

pub struct Mailbox {
    store: Arc<dyn Store>,
}

impl Mailbox {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Every email sent, newest first.
    pub async fn list(store: &dyn Store, limit: usize) -> Result<Vec<StoredEmail>, EmailError> {
        let page = store
            .query(
                &Query::partition(Index::Table, MAILBOX_PARTITION)
                    .descending()
                    .limit(limit),
            )
            .await
            .map_err(|e| EmailError::Backend(e.to_string()))?;
        page.items
            .into_iter()
            .map(|i| from_item(i).map_err(|e| EmailError::Backend(e.to_string())))
            .collect()
    }
}

#[async_trait]
impl EmailSender for Mailbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        let id = ulid::Ulid::new().to_string();
        let stored = StoredEmail {
            id: id.clone(),
            sent_at: chrono::Utc::now().to_rfc3339(),
            email: email.clone(),
        };
        let mut item = to_item(&stored).map_err(|e| EmailError::Backend(e.to_string()))?;
        item.insert("pk".into(), MAILBOX_PARTITION.into());
        item.insert("sk".into(), id.clone().into());
        item.insert("entity".into(), "mail".into());
        self.store
            .put(item, None)
            .await
            .map_err(|e| EmailError::Backend(e.to_string()))?;
        Ok(id)
    }
}
