//! A fake Stripe for local runs and tests, kept in the store: on the dev
//! server the whole billing flow persists with the rest of the data (the
//! embedded file, or DynamoDB on the AWS backend). It answers like Stripe's
//! test mode — customers with a credit balance, draft invoices with lines
//! (invoice items), finalize (credit applied: `amount_due = max(0, total −
//! credit)`, the credit used up; an invoice with nothing due is paid at
//! once), void, payment intents (`pm_card_chargeDeclined` is declined;
//! cancel; a succeeded one's charge, with its transfer and fee, and its
//! refund in full), sellers' connected accounts and their onboarding links —
//! honours idempotency keys, and sends signed webhook events to the Stripe
//! webhook function as Stripe would ([`events`]). Deployed functions never
//! use it.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! An object item holds the object's JSON under `object` and a `version`
//! every change is conditional on. A keyed call writes its idempotency item
//! (on condition that it does not exist) in the same transaction as its
//! objects, so of two concurrent calls with one key exactly one applies and
//! the other answers its object; reusing a key for another request is
//! refused, as Stripe does.
//!
//! Crash tests inject a fault into the next call of an operation, before or
//! after it applies ([`FaultTiming`]); benchmarks add latency to every call.

mod accounts;
mod calls;
mod customers;
mod events;
mod faults;
mod gateway;
mod invoices;
mod keys;
mod objects;
mod payment_intents;
mod refunds;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::Value;

use super::PaymentError;
use crate::clock::Clock;
use crate::config::{Config, Secret};
use crate::store::{Index, Query, Store, StoreError};

use calls::Change;
pub use events::{API_VERSION, SentEvent, WebhookEndpoint};
use faults::Faults;
pub use faults::{FaultTiming, Operation};
use objects::{Stored, object_key};

pub struct FakeStripe {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    webhook_secret: Option<String>,
    endpoint: RwLock<Option<Arc<dyn WebhookEndpoint>>>,
    connect_secret: Option<String>,
    connect_endpoint: RwLock<Option<Arc<dyn WebhookEndpoint>>>,
    faults: Faults,
    ids: Mutex<ulid::Generator>,
}

fn unavailable(e: StoreError) -> PaymentError {
    PaymentError::Unavailable(format!("fake Stripe store: {e}"))
}

/// A fake in a store of its own, in memory, on the system clock, sending
/// no events (no secret): for tests of the port alone.
impl Default for FakeStripe {
    fn default() -> Self {
        Self::new(
            Arc::new(crate::store::embedded::EmbeddedStore::in_memory()),
            Arc::new(crate::clock::SystemClock),
            None,
        )
    }
}

impl FakeStripe {
    /// A fake over `store`, signing its events with `webhook_secret` at
    /// `clock`'s time (unsigned and unsent without one).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        webhook_secret: Option<String>,
    ) -> Self {
        Self {
            store,
            clock,
            webhook_secret,
            endpoint: RwLock::new(None),
            connect_secret: None,
            connect_endpoint: RwLock::new(None),
            faults: Faults::default(),
            ids: Mutex::new(ulid::Generator::new()),
        }
    }

    /// A fake over `store` signing with the configured webhook secrets
    /// (the platform's and the Connect endpoint's), as local runs use it.
    pub fn for_config(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: &Config) -> Self {
        let secret = |secret| config.secrets.current(secret).ok().map(|s| s.to_string());
        let mut fake = Self::new(store, clock, secret(Secret::StripeWebhook));
        fake.connect_secret = secret(Secret::StripeConnectWebhook);
        fake
    }

    /// Sends every platform event from now on to `endpoint`.
    pub fn deliver_to(&self, endpoint: Arc<dyn WebhookEndpoint>) {
        if let Ok(mut slot) = self.endpoint.write() {
            *slot = Some(endpoint);
        }
    }

    /// Sends every connected account's event (`account.updated`) from now
    /// on to `endpoint`, Stripe's Connect endpoint.
    pub fn deliver_connect_to(&self, endpoint: Arc<dyn WebhookEndpoint>) {
        if let Ok(mut slot) = self.connect_endpoint.write() {
            *slot = Some(endpoint);
        }
    }

    /// Makes the next call of `operation` fail, before or after it applies.
    pub fn inject_fault(&self, operation: Operation, timing: FaultTiming) {
        self.faults.inject(operation, timing);
    }

    /// Adds `latency` to every call (a benchmark's stand-in for the network).
    pub fn set_latency(&self, latency: Duration) {
        self.faults.set_latency(latency);
    }

    pub fn latency(&self) -> Duration {
        self.faults.latency()
    }

    /// Every event sent so far, oldest first.
    pub async fn sent_events(&self) -> Result<Vec<SentEvent>, PaymentError> {
        events::list(&*self.store).await.map_err(unavailable)
    }

    /// Every object of one type (`invoice`, `customer`...), oldest first, as
    /// Stripe's list endpoints show them.
    pub async fn objects_of_type(&self, object_type: &str) -> Result<Vec<Value>, PaymentError> {
        let mut found = Vec::new();
        let mut query = Query::partition(Index::Gsi2, objects::type_partition(object_type));
        loop {
            let page = self.store.query(&query).await.map_err(unavailable)?;
            found.extend(
                page.items
                    .iter()
                    .filter_map(Stored::from_item)
                    .map(|s| s.object),
            );
            match page.cursor {
                Some(cursor) => query = query.after(Some(cursor)),
                None => return Ok(found),
            }
        }
    }

    /// Any object's JSON as Stripe's API shows it.
    pub async fn object(&self, id: &str) -> Result<Option<Value>, PaymentError> {
        Ok(self.load(id).await?.map(|s| s.object))
    }

    fn new_id(&self, prefix: &str) -> String {
        let ulid = self
            .ids
            .lock()
            .ok()
            .and_then(|mut g| g.generate().ok())
            .unwrap_or_else(|| ulid::Ulid::from_datetime(std::time::SystemTime::now()));
        format!("{prefix}_{ulid}")
    }

    /// Unix seconds by the injected clock.
    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    async fn load(&self, id: &str) -> Result<Option<Stored>, PaymentError> {
        let item = self.store.get(&object_key(id)).await.map_err(unavailable)?;
        Ok(item.as_ref().and_then(Stored::from_item))
    }

    async fn load_of(&self, kind: &str, id: &str) -> Result<Stored, PaymentError> {
        self.load(id)
            .await?
            .filter(|s| s.object["object"] == kind)
            .ok_or_else(|| objects::no_such(kind, id))
    }
}

#[cfg(test)]
mod tests;
