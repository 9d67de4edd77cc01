//! The webhook batches the fake sends when a HubSpot user changes or
//! creates a record (changes made through the API by the app itself send
//! none, so the sync's own writes never echo back). Each batch is a JSON
//! array of events — `<type>.propertyChange` per changed property,
//! `<type>.creation` per new record — signed with the app's client secret
//! (`X-HubSpot-Signature-v3`) over the endpoint's URI at the real time
//! and posted; the call returns once the endpoint answered. Every batch is
//! kept with its body and delivery outcome, so it can be listed and sent
//! again (a duplicate delivery, as HubSpot retries).
//!
//! Its items and their keys: [`crate::keys`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::{Item, Store, StoreError, Update, from_item};

use super::super::ObjectType;
use super::super::signature::{self, SignedRequest};
use super::keys::{WEBHOOK_PREFIX, batch_key};
use super::records::all_with_prefix;

/// The app id the fake's events claim.
pub const APP_ID: i64 = 1_000_001;

/// Where batches are posted: the HubSpot webhook function.
#[async_trait]
pub trait WebhookEndpoint: Send + Sync {
    /// The full URI the batch is posted to, as signed.
    fn uri(&self) -> String;

    /// Posts `body` with its signature and timestamp headers; answers the
    /// HTTP status, or why nothing answered.
    async fn deliver(
        &self,
        body: &str,
        signature: &str,
        timestamp_millis: i64,
    ) -> Result<u16, String>;
}

/// A batch as the fake keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentBatch {
    pub batch_id: String,
    pub portal_id: String,
    /// The exact JSON array posted.
    pub body: String,
    pub signature: Option<String>,
    pub timestamp_millis: Option<i64>,
    pub delivery_status: Option<u16>,
    pub delivery_error: Option<String>,
}

/// What happened to a record, as one event tells it.
pub(super) enum Happening<'a> {
    Created,
    Changed { property: &'a str, value: &'a str },
}

/// One event of a batch.
pub(super) fn event(
    event_id: i64,
    portal_id: &str,
    object_type: ObjectType,
    object_id: &str,
    happening: Happening<'_>,
    occurred_millis: i64,
) -> Value {
    let number = |text: &str| text.parse::<i64>().map(Value::from).unwrap_or(text.into());
    let mut event = json!({
        "eventId": event_id,
        "subscriptionId": 1,
        "portalId": number(portal_id),
        "appId": APP_ID,
        "occurredAt": occurred_millis,
        "attemptNumber": 0,
        "objectId": number(object_id),
        "changeSource": "CRM_UI",
        "sourceId": "userId:1",
    });
    match happening {
        Happening::Created => {
            event["subscriptionType"] = format!("{}.creation", object_type.singular()).into();
        }
        Happening::Changed { property, value } => {
            event["subscriptionType"] = format!("{}.propertyChange", object_type.singular()).into();
            event["propertyName"] = property.into();
            event["propertyValue"] = value.into();
        }
    }
    event
}

/// Stores a batch, then signs and posts it — unless it is `lost`: then
/// it is only stored, as HubSpot loses one now and then.
pub(super) async fn send(
    store: &dyn Store,
    lost: bool,
    endpoint: Option<&dyn WebhookEndpoint>,
    secret: Option<&str>,
    portal_id: &str,
    events: &[Value],
    now_millis: i64,
) -> Result<SentBatch, StoreError> {
    let first = events
        .first()
        .and_then(|e| e["eventId"].as_i64())
        .unwrap_or(0);
    let batch_id = format!("{first:015}");
    let body = Value::from(events.to_vec()).to_string();
    let key = batch_key(portal_id, &batch_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_fake_webhook".into());
    item.insert("batchId".into(), batch_id.clone().into());
    item.insert("portalId".into(), portal_id.into());
    item.insert("body".into(), body.into());
    if lost {
        item.insert("deliveryError".into(), "lost on the way".into());
        store.put(item.clone(), None).await?;
        return from_item(item);
    }
    store.put(item, None).await?;
    deliver(store, endpoint, secret, portal_id, &batch_id, now_millis).await
}

/// Signs the stored batch at `now_millis` and posts it; records the outcome.
pub(super) async fn deliver(
    store: &dyn Store,
    endpoint: Option<&dyn WebhookEndpoint>,
    secret: Option<&str>,
    portal_id: &str,
    batch_id: &str,
    now_millis: i64,
) -> Result<SentBatch, StoreError> {
    let key = batch_key(portal_id, batch_id);
    let item = store
        .get(&key)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("no webhook batch {batch_id}")))?;
    let body = item
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or("[]")
        .to_owned();
    let update = Update::new(key.clone());
    let update = match (secret, endpoint) {
        (None, _) => {
            tracing::warn!(batch = %batch_id, "HUBSPOT_CLIENT_SECRET is unset: the batch is kept unsigned and not sent");
            update.set("deliveryError", "HUBSPOT_CLIENT_SECRET is unset")
        }
        (Some(_), None) => update.set("deliveryError", "no webhook endpoint is registered"),
        (Some(secret), Some(endpoint)) => {
            let uri = endpoint.uri();
            let signed = sign_request(secret, &uri, &body, now_millis);
            let update = update
                .set("signature", signed.clone())
                .set("timestampMillis", now_millis);
            match endpoint.deliver(&body, &signed, now_millis).await {
                Ok(status) => update
                    .set("deliveryStatus", i64::from(status))
                    .remove("deliveryError"),
                Err(e) => {
                    tracing::warn!(batch = %batch_id, error = %e, "the webhook endpoint was not reached");
                    update.set("deliveryError", e)
                }
            }
        }
    };
    from_item(store.update(update).await?)
}

fn sign_request(secret: &str, uri: &str, body: &str, timestamp_millis: i64) -> String {
    signature::sign(
        secret,
        &SignedRequest {
            method: "POST",
            uri,
            body: body.as_bytes(),
            timestamp_millis,
        },
    )
}

/// Every batch sent to the portal, oldest first.
pub(super) async fn list(store: &dyn Store, portal_id: &str) -> Result<Vec<SentBatch>, StoreError> {
    let items = all_with_prefix(store, portal_id, WEBHOOK_PREFIX)
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    items.into_iter().map(from_item).collect()
}
