//! The webhook events the fake sends, as Stripe does: each change that
//! Stripe announces stores an event (in the change's own transaction), and
//! once the change is committed the event's exact body is signed with the
//! webhook secret at the real time (never the settable clock's: the
//! receiver checks it against its own) and posted to the endpoint. Every
//! event is kept with the body and the `Stripe-Signature` header last sent,
//! so it can be listed and replayed verbatim.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::signature;
use crate::store::{Index, Item, Query, Store, StoreError, Update, Write, from_item};

pub use super::keys::EVENTS_PARTITION;
use super::objects::object_key;

/// The API version the events claim.
pub const API_VERSION: &str = "2024-06-20";

/// Where events are posted: the Stripe webhook function.
#[async_trait]
pub trait WebhookEndpoint: Send + Sync {
    /// Posts `body` with the `Stripe-Signature` header `signature`;
    /// answers the HTTP status, or why nothing answered.
    async fn deliver(&self, body: &str, signature: &str) -> Result<u16, String>;
}

/// An event as kept by the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    /// The exact body posted (and signed).
    pub body: String,
    /// The `Stripe-Signature` header of the last delivery.
    pub signature: Option<String>,
    /// The endpoint's answer to the last delivery.
    pub delivery_status: Option<u16>,
    /// Why the last delivery reached no endpoint.
    pub delivery_error: Option<String>,
}

/// An event made by a change, stored with it.
pub struct NewEvent {
    pub id: String,
    pub kind: &'static str,
    pub body: String,
    /// The connected account a Connect event is about: such an event goes
    /// to the Connect endpoint, signed with its secret.
    pub account: Option<String>,
}

impl NewEvent {
    /// The event `kind` about `object` (its state after the change).
    pub fn new(id: String, kind: &'static str, object: &Value, now: i64) -> Self {
        let event = json!({
            "id": id, "object": "event", "api_version": API_VERSION, "created": now,
            "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null}, "type": kind,
        });
        Self {
            id,
            kind,
            body: event.to_string(),
            account: None,
        }
    }

    /// The event `kind` of connected account `account` about `object`, as
    /// Stripe sends it to a Connect endpoint: with a top-level `account`.
    pub fn connect(
        id: String,
        kind: &'static str,
        account: &str,
        object: &Value,
        now: i64,
    ) -> Self {
        let mut event = Self::new(id, kind, object, now);
        let mut body: Value = serde_json::from_str(&event.body).expect("the event it just wrote");
        body["account"] = account.into();
        event.body = body.to_string();
        event.account = Some(account.to_owned());
        event
    }

    pub fn write(&self, now: i64) -> Write {
        let key = object_key(&self.id);
        let mut item = Item::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "stripe_event".into());
        // Event ids are monotonic ULIDs: they sort in the order made.
        item.insert("gsi1pk".into(), EVENTS_PARTITION.into());
        item.insert("gsi1sk".into(), self.id.clone().into());
        item.insert("id".into(), self.id.clone().into());
        item.insert("type".into(), self.kind.into());
        item.insert("created".into(), now.into());
        item.insert("body".into(), self.body.clone().into());
        Write::put_new(item)
    }
}

/// Signs and posts one stored event; records the outcome on its item.
pub async fn deliver(
    store: &dyn Store,
    endpoint: Option<&dyn WebhookEndpoint>,
    secret: Option<&str>,
    event: &NewEvent,
    now: i64,
) -> Result<(), StoreError> {
    let Some(secret) = secret else {
        tracing::warn!(event = %event.id, "the endpoint's signing secret is unset: the event is kept unsigned and not sent");
        return Ok(());
    };
    let header = signature::sign(secret, now, event.body.as_bytes());
    let mut update = Update::new(object_key(&event.id)).set("signature", header.clone());
    update = match endpoint {
        None => update.set("deliveryError", "no webhook endpoint is registered"),
        Some(endpoint) => match endpoint.deliver(&event.body, &header).await {
            Ok(status) => update
                .set("deliveryStatus", i64::from(status))
                .remove("deliveryError"),
            Err(e) => {
                tracing::warn!(event = %event.id, error = %e, "the webhook endpoint was not reached");
                update.set("deliveryError", e)
            }
        },
    };
    store.update(update).await.map(|_| ())
}

/// Every event made so far, oldest first.
pub async fn list(store: &dyn Store) -> Result<Vec<SentEvent>, StoreError> {
    let mut events = Vec::new();
    let mut query = Query::partition(Index::Gsi1, EVENTS_PARTITION);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            events.push(from_item::<SentEvent>(item)?);
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(events),
        }
    }
}
