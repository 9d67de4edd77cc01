//! A fake Stripe for local runs and tests, kept in the store: on the dev
//! server the whole billing flow persists with the rest of the data (the
//! embedded file, or DynamoDB on the AWS backend). It answers like Stripe's
//! test mode — customers with a credit balance, draft invoices with lines
//! (invoice items), finalize (credit applied: `amount_due = max(0, total −
//! credit)`, the credit used up; an invoice with nothing due is paid at
//! once), void, payment intents (`pm_card_chargeDeclined` is declined),
//! sellers' connected accounts and their onboarding links —
//! honours idempotency keys, and sends signed webhook events to the Stripe
//! webhook function as Stripe would ([`events`]). Deployed functions never
//! use it.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | Stripe object (customer, invoice, invoice item, balance transaction, payment intent, account) | `STRIPE#<objectId>` | `OBJECT` | (gsi2: `STRIPEOBJECTS#<type>` / `<objectId>`) |
//! | Stripe event (body, last `Stripe-Signature`, delivery outcome) | `STRIPE#<evt_id>` | `OBJECT` | `STRIPEEVENTS` / `<evt_id>` |
//! | idempotency key (operation, request fingerprint, object id) | `STRIPEIDEMPOTENCY#<key>` | `KEY` | |
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
mod customers;
mod events;
mod faults;
mod invoices;
mod objects;
mod payment_intents;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    ConnectedAccount, NewAccountLink, NewConnectedAccount, NewCredit, NewCustomer, NewInvoice,
    NewInvoiceLine, NewPaymentIntent, PaymentError, PaymentGateway, PaymentIntent, StripeInvoice,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::{Index, Item, Query, Store, StoreError, Write};

use events::NewEvent;
pub use events::{API_VERSION, SentEvent, WebhookEndpoint};
use faults::Faults;
pub use faults::{FaultTiming, Operation};
use objects::{Stored, idempotency_key, object_key};

/// How often a call re-reads and retries after another call changed the
/// same objects first.
const ATTEMPTS: usize = 20;

pub struct FakeStripe {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    webhook_secret: Option<String>,
    endpoint: RwLock<Option<Arc<dyn WebhookEndpoint>>>,
    faults: Faults,
    ids: Mutex<ulid::Generator>,
}

/// What one attempt at a call would write, and what it answers.
struct Change {
    answer: Value,
    writes: Vec<Write>,
    events: Vec<NewEvent>,
}

fn unavailable(e: StoreError) -> PaymentError {
    PaymentError::Unavailable(format!("fake Stripe store: {e}"))
}

fn fingerprint(operation: Operation, request: &impl Serialize) -> String {
    let text = serde_json::to_string(&(operation, request)).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
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
            faults: Faults::default(),
            ids: Mutex::new(ulid::Generator::new()),
        }
    }

    /// A fake over `store` signing with the configured webhook secret, as
    /// local runs use it.
    pub fn for_config(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: &Config) -> Self {
        let secret = config
            .stripe_webhook_secret
            .expose()
            .ok()
            .map(str::to_owned);
        Self::new(store, clock, secret)
    }

    /// Sends every event from now on to `endpoint`.
    pub fn deliver_to(&self, endpoint: Arc<dyn WebhookEndpoint>) {
        if let Ok(mut slot) = self.endpoint.write() {
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

    /// Runs a keyed call: answers the first call's object when `key` was
    /// used before, else applies `plan` with the key in the same transaction.
    async fn keyed<'a>(
        &'a self,
        operation: Operation,
        key: &str,
        request: &impl Serialize,
        plan: impl Fn() -> BoxFuture<'a, Result<Change, PaymentError>>,
    ) -> Result<Value, PaymentError> {
        let fingerprint = fingerprint(operation, request);
        for _ in 0..ATTEMPTS {
            let earlier = self
                .store
                .get(&idempotency_key(key))
                .await
                .map_err(unavailable)?;
            if let Some(earlier) = earlier {
                return self.replay(&earlier, key, &fingerprint).await;
            }
            let change = plan().await?;
            let object_id = change.answer["id"].as_str().unwrap_or_default().to_owned();
            let k = idempotency_key(key);
            let mut item = Item::new();
            item.insert("pk".into(), k.pk.into());
            item.insert("sk".into(), k.sk.into());
            item.insert("entity".into(), "stripe_idempotency_key".into());
            item.insert("operation".into(), operation.as_str().into());
            item.insert("fingerprint".into(), fingerprint.clone().into());
            item.insert("objectId".into(), object_id.into());
            if let Some(answer) = self.commit(change, Some(Write::put_new(item))).await? {
                return Ok(answer);
            }
        }
        Err(PaymentError::Unavailable(
            "the fake Stripe lost too many races; retry".into(),
        ))
    }

    /// The object a key's first call made, as it is now.
    async fn replay(
        &self,
        earlier: &Item,
        key: &str,
        fingerprint: &str,
    ) -> Result<Value, PaymentError> {
        if earlier.get("fingerprint").and_then(Value::as_str) != Some(fingerprint) {
            return Err(PaymentError::Refused(format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with (key '{key}')"
            )));
        }
        let id = earlier
            .get("objectId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.object(id)
            .await?
            .ok_or_else(|| PaymentError::Unavailable(format!("the object of key '{key}' is gone")))
    }

    /// Runs a call without a key (the dev routes' customer actions).
    async fn unkeyed<'a>(
        &'a self,
        plan: impl Fn() -> BoxFuture<'a, Result<Change, PaymentError>>,
    ) -> Result<Value, PaymentError> {
        for _ in 0..ATTEMPTS {
            if let Some(answer) = self.commit(plan().await?, None).await? {
                return Ok(answer);
            }
        }
        Err(PaymentError::Unavailable(
            "the fake Stripe lost too many races; retry".into(),
        ))
    }

    /// Writes a change in one transaction and then sends its events;
    /// `None` when another call changed the same objects first.
    async fn commit(
        &self,
        change: Change,
        key: Option<Write>,
    ) -> Result<Option<Value>, PaymentError> {
        let now = self.now();
        let mut writes = change.writes;
        writes.extend(change.events.iter().map(|e| e.write(now)));
        writes.extend(key);
        match self.store.transact(writes).await {
            Ok(()) => {}
            Err(e) if e.is_condition_failure() || e == StoreError::TransactionConflict => {
                return Ok(None);
            }
            Err(e) => return Err(unavailable(e)),
        }
        let endpoint = self.endpoint.read().ok().and_then(|e| e.clone());
        for event in &change.events {
            let sent = events::deliver(
                &*self.store,
                endpoint.as_deref(),
                self.webhook_secret.as_deref(),
                event,
                self.now(),
            )
            .await;
            if let Err(e) = sent {
                tracing::warn!(event = %event.id, error = %e, "recording the event's delivery failed");
            }
        }
        Ok(Some(change.answer))
    }

    /// Runs one port call between its fault checks.
    async fn call<T>(
        &self,
        operation: Operation,
        body: impl Future<Output = Result<T, PaymentError>>,
    ) -> Result<T, PaymentError> {
        let taken = self.faults.enter(operation).await?;
        let answer = body.await?;
        Faults::leave(operation, taken)?;
        Ok(answer)
    }
}

fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_default().to_owned()
}

#[async_trait]
impl PaymentGateway for FakeStripe {
    async fn create_customer(
        &self,
        customer: &NewCustomer,
        key: &str,
    ) -> Result<String, PaymentError> {
        let op = Operation::CreateCustomer;
        let plan = || Box::pin(self.plan_customer(customer)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, customer, plan).await?))
        })
        .await
    }

    async fn create_invoice(
        &self,
        invoice: &NewInvoice,
        key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::CreateInvoice;
        let plan = || Box::pin(self.plan_invoice(invoice)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, invoice, plan).await?)
        })
        .await
    }

    async fn add_invoice_line(
        &self,
        line: &NewInvoiceLine,
        key: &str,
    ) -> Result<String, PaymentError> {
        let op = Operation::AddInvoiceLine;
        let plan = || Box::pin(self.plan_line(line)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, line, plan).await?))
        })
        .await
    }

    async fn finalize_invoice(&self, id: &str, key: &str) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::FinalizeInvoice;
        let plan = || Box::pin(self.plan_finalize(id)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, &id, plan).await?)
        })
        .await
    }

    async fn void_invoice(&self, id: &str, key: &str) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::VoidInvoice;
        let plan = || Box::pin(self.plan_void(id)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, &id, plan).await?)
        })
        .await
    }

    async fn get_invoice(&self, id: &str) -> Result<StripeInvoice, PaymentError> {
        self.call(Operation::GetInvoice, async {
            objects::stripe_invoice(&self.load_of("invoice", id).await?.object)
        })
        .await
    }

    async fn credit_balance(&self, credit: &NewCredit, key: &str) -> Result<String, PaymentError> {
        let op = Operation::CreditBalance;
        let plan = || Box::pin(self.plan_credit(credit)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, credit, plan).await?))
        })
        .await
    }

    async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let op = Operation::CreatePaymentIntent;
        self.call(op, async {
            // Stripe's test payment method whose charges are declined.
            if intent.payment_method_id.as_deref() == Some("pm_card_chargeDeclined") {
                return Err(PaymentError::Declined("Your card was declined.".into()));
            }
            let plan = || Box::pin(self.plan_intent(intent)) as BoxFuture<_>;
            Ok(objects::payment_intent(
                &self.keyed(op, key, intent, plan).await?,
            ))
        })
        .await
    }

    async fn create_connected_account(
        &self,
        account: &NewConnectedAccount,
        key: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        let op = Operation::CreateConnectedAccount;
        let plan = || Box::pin(self.plan_account(account)) as BoxFuture<_>;
        self.call(op, async {
            Ok(ConnectedAccount::from_object(
                &self.keyed(op, key, account, plan).await?,
            ))
        })
        .await
    }

    async fn create_account_link(&self, link: &NewAccountLink) -> Result<String, PaymentError> {
        self.call(Operation::CreateAccountLink, self.link(link))
            .await
    }

    async fn get_connected_account(&self, id: &str) -> Result<ConnectedAccount, PaymentError> {
        self.call(Operation::GetConnectedAccount, async {
            Ok(ConnectedAccount::from_object(
                &self.load_of("account", id).await?.object,
            ))
        })
        .await
    }

    fn fake(&self) -> Option<&FakeStripe> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;
