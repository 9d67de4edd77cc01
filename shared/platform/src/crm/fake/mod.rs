//! A fake HubSpot for local runs and tests, kept in the store: on the dev
//! server the whole HubSpot flow persists with the rest of the data (the
//! embedded file, or DynamoDB on the AWS backend, so black-box tests drive
//! it on both). One portal per connected partner, created by the consent
//! page the dev server plays ([`FakeHubspot::consent`]), with HubSpot's
//! default pipeline, contacts, deals, associations; OAuth codes and tokens
//! ([`oauth`]); a rate limit per portal and a latency ([`portal`]); and
//! signed webhook batches when a user changes a record ([`webhooks`]).
//! Deployed functions never use it.

mod api;
mod keys;
mod oauth;
mod portal;
mod records;
mod webhooks;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use super::{CrmError, CrmObject, DealContact, ObjectType, Pipeline, Properties};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;

pub use oauth::{ACCESS_TOKEN_SECONDS, SCOPES};
pub use portal::{Portal, WINDOW_MILLIS};
pub use records::modified_property;
pub use webhooks::{APP_ID, SentBatch, WebhookEndpoint};

use portal::unavailable;
use webhooks::Happening;

/// The dev server's path of the consent page the fake's authorize URL
/// points to.
pub const CONSENT_PATH: &str = "/dev/hubspot/oauth/authorize";

pub struct FakeHubspot {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// The app's client secret: signs webhook batches.
    client_secret: Option<String>,
    /// The dev server's origin, where the consent page is served.
    consent_origin: String,
    endpoint: RwLock<Option<Arc<dyn WebhookEndpoint>>>,
    latency: Mutex<Duration>,
}

/// A fake in a store of its own, in memory, on the system clock, sending
/// no webhooks: for tests of the port alone.
impl Default for FakeHubspot {
    fn default() -> Self {
        Self::new(
            Arc::new(crate::store::embedded::EmbeddedStore::in_memory()),
            Arc::new(crate::clock::SystemClock),
            None,
            "http://127.0.0.1:3000".into(),
        )
    }
}

impl FakeHubspot {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        client_secret: Option<String>,
        consent_origin: String,
    ) -> Self {
        Self {
            store,
            clock,
            client_secret,
            consent_origin: consent_origin.trim_end_matches('/').to_owned(),
            endpoint: RwLock::new(None),
            latency: Mutex::new(Duration::ZERO),
        }
    }

    /// A fake over `store` signing with the configured client secret, its
    /// consent page on the origin of the configured redirect URI (the dev
    /// server), as local runs use it.
    pub fn for_config(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: &Config) -> Self {
        let secret = config
            .secrets
            .current(crate::config::Secret::HubspotClientSecret)
            .ok()
            .map(|s| s.to_string());
        let origin = url::Url::parse(&config.hubspot_callback_uri())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| "http://127.0.0.1:3000".into());
        Self::new(store, clock, secret, origin)
    }

    /// Sends every webhook batch from now on to `endpoint`.
    pub fn deliver_to(&self, endpoint: Arc<dyn WebhookEndpoint>) {
        if let Ok(mut slot) = self.endpoint.write() {
            *slot = Some(endpoint);
        }
    }

    /// Adds `latency` to every API call (a benchmark's stand-in for the
    /// network).
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut current) = self.latency.lock() {
            *current = latency;
        }
    }

    pub fn latency(&self) -> Duration {
        self.latency.lock().map(|l| *l).unwrap_or_default()
    }

    fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The consent page granting access: creates a portal (or reuses
    /// `portal_id`'s) and issues a code for `redirect_uri`. Answers the
    /// portal id and the code.
    pub async fn consent(
        &self,
        redirect_uri: &str,
        portal_id: Option<&str>,
    ) -> Result<(String, String), CrmError> {
        let portal_id = match portal_id {
            Some(id) if portal::load(&*self.store, id).await?.is_some() => id.to_owned(),
            Some(id) => return Err(CrmError::Refused(format!("no portal {id}"))),
            None => self.create_portal().await?,
        };
        let code =
            oauth::issue_code(&*self.store, &portal_id, redirect_uri, self.now_millis()).await?;
        Ok((portal_id, code))
    }

    async fn create_portal(&self) -> Result<String, CrmError> {
        for _ in 0..10 {
            let portal_id = rand::thread_rng()
                .gen_range(10_000_000..100_000_000)
                .to_string();
            let writes = vec![
                portal::new_portal_write(&portal_id),
                records::pipeline_write(&portal_id, &records::default_pipeline()),
            ];
            match self.store.transact(writes).await {
                Ok(()) => return Ok(portal_id),
                Err(e) if e.is_condition_failure() => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(CrmError::Unavailable("no free portal id".into()))
    }

    pub async fn portal(&self, portal_id: &str) -> Result<Option<Portal>, CrmError> {
        portal::load(&*self.store, portal_id).await
    }

    /// Limits the portal to `limit` requests per ten seconds (none: no limit).
    pub async fn set_rate_limit(
        &self,
        portal_id: &str,
        limit: Option<i64>,
    ) -> Result<(), CrmError> {
        self.existing(portal_id).await?;
        portal::set_rate_limit(&*self.store, portal_id, limit).await
    }

    /// Limits the portal's searches to `limit` a second (none: HubSpot's
    /// default, [`super::SEARCH_REQUESTS_PER_SECOND`]).
    pub async fn set_search_rate_limit(
        &self,
        portal_id: &str,
        limit: Option<i64>,
    ) -> Result<(), CrmError> {
        self.existing(portal_id).await?;
        portal::set_search_rate_limit(&*self.store, portal_id, limit).await
    }

    /// Uninstalls the app from the portal (every token refused) or
    /// reinstalls it.
    pub async fn set_revoked(&self, portal_id: &str, revoked: bool) -> Result<(), CrmError> {
        self.existing(portal_id).await?;
        portal::set_revoked(&*self.store, portal_id, revoked).await
    }

    /// Makes HubSpot lose the portal's webhook batches from now on (kept
    /// undelivered: a redelivery still sends them), or deliver them again.
    pub async fn set_webhooks_lost(&self, portal_id: &str, lost: bool) -> Result<(), CrmError> {
        self.existing(portal_id).await?;
        portal::set_webhooks_lost(&*self.store, portal_id, lost).await
    }

    async fn existing(&self, portal_id: &str) -> Result<Portal, CrmError> {
        portal::load(&*self.store, portal_id)
            .await?
            .ok_or_else(|| CrmError::Refused(format!("no portal {portal_id}")))
    }

    /// Every object of a type in the portal, by id.
    pub async fn objects(
        &self,
        portal_id: &str,
        object_type: ObjectType,
    ) -> Result<Vec<CrmObject>, CrmError> {
        let prefix = keys::objects_prefix(object_type);
        let mut objects: Vec<CrmObject> =
            records::all_with_prefix(&*self.store, portal_id, &prefix)
                .await?
                .iter()
                .filter_map(|item| serde_json::from_value(item.get("object")?.clone()).ok())
                .collect();
        objects.sort_by_key(|o| o.id.parse::<i64>().unwrap_or(0));
        Ok(objects)
    }

    pub async fn object(
        &self,
        portal_id: &str,
        object_type: ObjectType,
        id: &str,
    ) -> Result<Option<CrmObject>, CrmError> {
        Ok(records::load(&*self.store, portal_id, object_type, id)
            .await?
            .map(|s| s.object))
    }

    pub async fn pipelines(&self, portal_id: &str) -> Result<Vec<Pipeline>, CrmError> {
        records::pipelines(&*self.store, portal_id).await
    }

    pub async fn associations(&self, portal_id: &str) -> Result<Vec<DealContact>, CrmError> {
        records::associations(&*self.store, portal_id, None).await
    }

    /// A HubSpot user changes a record: the change is stored and a
    /// `<type>.propertyChange` event per changed property is sent.
    /// `None` when there is no such record.
    pub async fn user_update(
        &self,
        portal_id: &str,
        object_type: ObjectType,
        id: &str,
        properties: &Properties,
    ) -> Result<Option<CrmObject>, CrmError> {
        let now = self.clock.now();
        if object_type == ObjectType::Deals {
            let pipelines = records::pipelines(&*self.store, portal_id).await?;
            let current = records::load(&*self.store, portal_id, object_type, id).await?;
            if let Some(current) = current {
                let mut merged = current.object.properties.clone();
                merged.extend(properties.clone());
                if let Some(why) = records::invalid_stage(&pipelines, &merged) {
                    return Err(CrmError::Refused(why));
                }
            }
        }
        let Some((object, changed)) =
            records::update(&*self.store, portal_id, object_type, id, properties, now).await?
        else {
            return Ok(None);
        };
        if changed.is_empty() {
            return Ok(Some(object));
        }
        let ids = portal::reserve_ids(&*self.store, portal_id, changed.len()).await?;
        let events: Vec<Value> = changed
            .iter()
            .zip(&ids)
            .map(|(name, event_id)| {
                let value = object
                    .properties
                    .get(name)
                    .map(String::as_str)
                    .unwrap_or("");
                webhooks::event(
                    event_id.parse().unwrap_or(0),
                    portal_id,
                    object_type,
                    id,
                    Happening::Changed {
                        property: name,
                        value,
                    },
                    now.timestamp_millis(),
                )
            })
            .collect();
        self.send(portal_id, &events).await?;
        Ok(Some(object))
    }

    /// A HubSpot user creates a record: a `<type>.creation` event is sent.
    /// A deal may be created associated with existing contacts of the
    /// portal (`contact_ids`), in the same write, as HubSpot's create with
    /// `associations` does; an unknown contact refuses the whole creation.
    pub async fn user_create(
        &self,
        portal_id: &str,
        object_type: ObjectType,
        properties: Properties,
        contact_ids: &[String],
    ) -> Result<CrmObject, CrmError> {
        self.existing(portal_id).await?;
        if !contact_ids.is_empty() && object_type != ObjectType::Deals {
            return Err(CrmError::Refused(
                "only a deal is created associated with contacts".into(),
            ));
        }
        let mut contacts: Vec<&String> = contact_ids.iter().collect();
        contacts.sort();
        contacts.dedup();
        for id in &contacts {
            if records::load(&*self.store, portal_id, ObjectType::Contacts, id)
                .await?
                .is_none()
            {
                return Err(CrmError::Refused(format!("contact {id} does not exist")));
            }
        }
        let now = self.clock.now();
        let ids = portal::reserve_ids(&*self.store, portal_id, 2).await?;
        let object = records::new_object(object_type, &ids[0], properties, now);
        let associations = contacts
            .iter()
            .map(|contact| {
                let pair = DealContact {
                    deal_id: object.id.clone(),
                    contact_id: (*contact).clone(),
                };
                records::association_write(portal_id, &pair)
            })
            .collect();
        if !records::create(
            &*self.store,
            portal_id,
            object_type,
            &object,
            now.timestamp_millis(),
            associations,
        )
        .await?
        {
            return Err(CrmError::Refused("a contact with this email exists".into()));
        }
        let event = webhooks::event(
            ids[1].parse().unwrap_or(0),
            portal_id,
            object_type,
            &object.id,
            Happening::Created,
            now.timestamp_millis(),
        );
        self.send(portal_id, &[event]).await?;
        Ok(object)
    }

    async fn send(&self, portal_id: &str, events: &[Value]) -> Result<SentBatch, CrmError> {
        let endpoint = self.endpoint.read().ok().and_then(|e| e.clone());
        let lost = portal::load(&*self.store, portal_id)
            .await?
            .is_some_and(|p| p.webhooks_lost);
        webhooks::send(
            &*self.store,
            lost,
            endpoint.as_deref(),
            self.client_secret.as_deref(),
            portal_id,
            events,
            crate::clock::wire_now().timestamp_millis(),
        )
        .await
        .map_err(unavailable)
    }

    /// Every webhook batch sent to the portal, oldest first.
    pub async fn sent_batches(&self, portal_id: &str) -> Result<Vec<SentBatch>, CrmError> {
        webhooks::list(&*self.store, portal_id)
            .await
            .map_err(unavailable)
    }

    /// Sends a batch again, signed anew (HubSpot's retry of a delivery).
    pub async fn redeliver(&self, portal_id: &str, batch_id: &str) -> Result<SentBatch, CrmError> {
        let endpoint = self.endpoint.read().ok().and_then(|e| e.clone());
        webhooks::deliver(
            &*self.store,
            endpoint.as_deref(),
            self.client_secret.as_deref(),
            portal_id,
            batch_id,
            crate::clock::wire_now().timestamp_millis(),
        )
        .await
        .map_err(unavailable)
    }
}
