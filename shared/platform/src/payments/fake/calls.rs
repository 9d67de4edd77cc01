//! How one call of the fake runs: a keyed call answers its first call's
//! object or applies its plan with the idempotency item in the same
//! transaction, a lost race re-reads and tries again, a committed change
//! sends its events, and the injected faults wrap the whole. Every
//! operation shares these rules, so they sit apart from the operations.

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::super::PaymentError;
use super::events::{self, NewEvent};
use super::faults::Faults;
use super::objects::idempotency_key;
use super::{FakeStripe, Operation, unavailable};
use crate::store::{Item, Write};

/// How often a call re-reads and retries after another call changed the
/// same objects first.
const ATTEMPTS: usize = 20;

/// What one attempt at a call would write, and what it answers.
pub(super) struct Change {
    pub(super) answer: Value,
    pub(super) writes: Vec<Write>,
    pub(super) events: Vec<NewEvent>,
}

fn fingerprint(operation: Operation, request: &impl Serialize) -> String {
    let text = serde_json::to_string(&(operation, request)).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl FakeStripe {
    /// Runs a keyed call: answers the first call's object when `key` was
    /// used before, else applies `plan` with the key in the same transaction.
    pub(super) async fn keyed<'a>(
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
    pub(super) async fn replay(
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
    pub(super) async fn unkeyed<'a>(
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
    pub(super) async fn commit(
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
            Err(e) if e.lost_race() => {
                return Ok(None);
            }
            Err(e) => return Err(unavailable(e)),
        }
        let endpoint = self.endpoint.read().ok().and_then(|e| e.clone());
        let connect_endpoint = self.connect_endpoint.read().ok().and_then(|e| e.clone());
        for event in &change.events {
            // Stripe sends connected accounts' events from a Connect
            // endpoint of their own, with its own signing secret.
            let (to, secret) = match event.account {
                Some(_) => (&connect_endpoint, &self.connect_secret),
                None => (&endpoint, &self.webhook_secret),
            };
            let sent = events::deliver(
                &*self.store,
                to.as_deref(),
                secret.as_deref(),
                event,
                crate::clock::wire_now().timestamp(),
            )
            .await;
            if let Err(e) = sent {
                tracing::warn!(event = %event.id, error = %e, "recording the event's delivery failed");
            }
        }
        Ok(Some(change.answer))
    }

    /// Runs one port call between its fault checks.
    pub(super) async fn call<T>(
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
