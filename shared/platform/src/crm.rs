//! The CRM port (HubSpot): contacts and deals, OAuth token exchange. The
//! real adapter comes with the HubSpot capability;
//! [`RecordingCrm`] keeps contacts and deals in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrmTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_seconds: i64,
    pub portal_id: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CrmError {
    /// HubSpot answered 429: retry with backoff, never drop.
    #[error("CRM rate limited")]
    RateLimited,
    #[error("CRM refused: {0}")]
    Refused(String),
    #[error("CRM backend error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait CrmClient: Send + Sync {
    /// Creates or updates a contact by email; answers its id.
    async fn upsert_contact(
        &self,
        access_token: &str,
        email: &str,
        properties: &Value,
    ) -> Result<String, CrmError>;
    /// Creates (no id) or updates a deal; answers its id.
    async fn upsert_deal(
        &self,
        access_token: &str,
        deal_id: Option<&str>,
        properties: &Value,
    ) -> Result<String, CrmError>;
    async fn exchange_code(&self, code: &str) -> Result<CrmTokens, CrmError>;
    async fn refresh_tokens(&self, refresh_token: &str) -> Result<CrmTokens, CrmError>;
}

/// An in-memory HubSpot.
#[derive(Default)]
pub struct RecordingCrm {
    contacts: Mutex<HashMap<String, (String, Value)>>,
    deals: Mutex<HashMap<String, Value>>,
}

impl RecordingCrm {
    pub fn contact(&self, email: &str) -> Option<(String, Value)> {
        self.contacts.lock().ok()?.get(email).cloned()
    }

    pub fn deal(&self, id: &str) -> Option<Value> {
        self.deals.lock().ok()?.get(id).cloned()
    }
}

fn fake_tokens(seed: &str) -> CrmTokens {
    CrmTokens {
        access_token: format!("fake-access-{seed}"),
        refresh_token: format!("fake-refresh-{seed}"),
        expires_in_seconds: 1800,
        portal_id: Some("12345".into()),
    }
}

#[async_trait]
impl CrmClient for RecordingCrm {
    async fn upsert_contact(
        &self,
        _token: &str,
        email: &str,
        properties: &Value,
    ) -> Result<String, CrmError> {
        let mut contacts = self
            .contacts
            .lock()
            .map_err(|e| CrmError::Backend(e.to_string()))?;
        let entry = contacts
            .entry(email.to_lowercase())
            .or_insert_with(|| (ulid::Ulid::new().to_string(), Value::Null));
        entry.1 = properties.clone();
        Ok(entry.0.clone())
    }

    async fn upsert_deal(
        &self,
        _token: &str,
        deal_id: Option<&str>,
        properties: &Value,
    ) -> Result<String, CrmError> {
        let id = deal_id
            .map(str::to_owned)
            .unwrap_or_else(|| ulid::Ulid::new().to_string());
        self.deals
            .lock()
            .map_err(|e| CrmError::Backend(e.to_string()))?
            .insert(id.clone(), properties.clone());
        Ok(id)
    }

    async fn exchange_code(&self, code: &str) -> Result<CrmTokens, CrmError> {
        if code.is_empty() || code == "invalid" {
            return Err(CrmError::Refused("invalid authorization code".into()));
        }
        Ok(fake_tokens(code))
    }

    async fn refresh_tokens(&self, refresh_token: &str) -> Result<CrmTokens, CrmError> {
        Ok(fake_tokens(refresh_token))
    }
}
