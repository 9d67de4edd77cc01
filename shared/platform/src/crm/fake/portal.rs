//! The fake's portals (HubSpot accounts) and their limits: each portal
//! counts the requests it served and the 429s it answered, hands out
//! numeric object ids from a counter, and may be given a rate limit of N
//! requests per ten-second window (by the injected clock), past which it
//! answers 429 with the seconds left in the window, as HubSpot does.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Searches have a limit of their own besides: [`SEARCH_REQUESTS_PER_SECOND`]
//! a second by default (settable per portal), counted on the real clock —
//! a client paces itself by real time, whatever the dev clock says.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Item, Key, Store, StoreError, Update, Write, from_item};

use super::super::{CrmError, SEARCH_REQUESTS_PER_SECOND};
pub(super) use super::keys::{portal_key, portal_pk};
use super::keys::{rate_window_key, search_rate_key};

/// HubSpot's burst window.
pub const WINDOW_MILLIS: i64 = 10_000;

/// What the fake keeps of a portal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Portal {
    pub portal_id: String,
    /// Requests per ten-second window; none means unlimited.
    pub rate_limit: Option<i64>,
    /// API requests served (429s included).
    #[serde(default)]
    pub requests: i64,
    /// Requests answered 429.
    #[serde(default)]
    pub rate_limited: i64,
    /// Searches per second; none means HubSpot's default,
    /// [`SEARCH_REQUESTS_PER_SECOND`].
    #[serde(default)]
    pub search_rate_limit: Option<i64>,
    /// Set when the partner uninstalled the app: every token of the
    /// portal, refresh tokens included, is refused.
    #[serde(default)]
    pub revoked: bool,
    /// Set while HubSpot loses the portal's webhook batches: each is kept
    /// (a redelivery sends it) but never posted.
    #[serde(default)]
    pub webhooks_lost: bool,
}

pub(super) fn unavailable(e: StoreError) -> CrmError {
    CrmError::Unavailable(format!("fake HubSpot store: {e}"))
}

pub(super) fn new_portal_write(portal_id: &str) -> Write {
    let key = portal_key(portal_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_portal".into());
    item.insert("portalId".into(), portal_id.into());
    item.insert("nextId".into(), 1000.into());
    item.insert("requests".into(), 0.into());
    item.insert("rateLimited".into(), 0.into());
    Write::put_new(item)
}

pub(super) async fn load(store: &dyn Store, portal_id: &str) -> Result<Option<Portal>, CrmError> {
    match store
        .get(&portal_key(portal_id))
        .await
        .map_err(unavailable)?
    {
        Some(item) => Ok(Some(from_item(item).map_err(unavailable)?)),
        None => Ok(None),
    }
}

/// Reserves `count` consecutive object ids of the portal.
pub(super) async fn reserve_ids(
    store: &dyn Store,
    portal_id: &str,
    count: usize,
) -> Result<Vec<String>, CrmError> {
    let item = store
        .update(Update::new(portal_key(portal_id)).add("nextId", count as i64))
        .await
        .map_err(unavailable)?;
    let end = item.get("nextId").and_then(Value::as_i64).unwrap_or(0);
    Ok((end - count as i64..end).map(|id| id.to_string()).collect())
}

/// Counts one request of the portal against its limit at `now_millis`.
pub(super) async fn admit(
    store: &dyn Store,
    portal_id: &str,
    now_millis: i64,
) -> Result<(), CrmError> {
    let portal = store
        .update(Update::new(portal_key(portal_id)).add("requests", 1))
        .await
        .map_err(unavailable)?;
    let Some(limit) = portal.get("rateLimit").and_then(Value::as_i64) else {
        return Ok(());
    };
    let window = now_millis.div_euclid(WINDOW_MILLIS);
    let left = (window + 1) * WINDOW_MILLIS - now_millis;
    let retry_after = Duration::from_secs(((left + 999) / 1000).max(1) as u64);
    count_in_window(
        store,
        portal_id,
        rate_window_key(portal_id, window),
        limit,
        retry_after,
    )
    .await
}

/// Counts one call in the window item `sk` of the portal; over `limit`,
/// the portal records the refusal and the call is told to wait.
async fn count_in_window(
    store: &dyn Store,
    portal_id: &str,
    key: Key,
    limit: i64,
    retry_after: Duration,
) -> Result<(), CrmError> {
    let counted = store
        .update(Update::new(key).add("count", 1))
        .await
        .map_err(unavailable)?;
    if counted.get("count").and_then(Value::as_i64).unwrap_or(0) <= limit {
        return Ok(());
    }
    store
        .update(Update::new(portal_key(portal_id)).add("rateLimited", 1))
        .await
        .map_err(unavailable)?;
    Err(CrmError::RateLimited { retry_after })
}

pub(super) async fn set_rate_limit(
    store: &dyn Store,
    portal_id: &str,
    limit: Option<i64>,
) -> Result<(), CrmError> {
    set_limit(store, portal_id, "rateLimit", limit).await
}

/// Sets (or, with `None`, removes) one of the portal's limits.
async fn set_limit(
    store: &dyn Store,
    portal_id: &str,
    attribute: &str,
    limit: Option<i64>,
) -> Result<(), CrmError> {
    let update = Update::new(portal_key(portal_id));
    let update = match limit {
        Some(limit) => update.set(attribute, limit),
        None => update.remove(attribute),
    };
    store.update(update).await.map(|_| ()).map_err(unavailable)
}

pub(super) async fn set_revoked(
    store: &dyn Store,
    portal_id: &str,
    revoked: bool,
) -> Result<(), CrmError> {
    set_flag(store, portal_id, "revoked", revoked).await
}

pub(super) async fn set_webhooks_lost(
    store: &dyn Store,
    portal_id: &str,
    lost: bool,
) -> Result<(), CrmError> {
    set_flag(store, portal_id, "webhooksLost", lost).await
}

async fn set_flag(
    store: &dyn Store,
    portal_id: &str,
    attribute: &str,
    value: bool,
) -> Result<(), CrmError> {
    store
        .update(Update::new(portal_key(portal_id)).set(attribute, value))
        .await
        .map(|_| ())
        .map_err(unavailable)
}

/// Counts one search of the portal against its per-second limit at
/// `wall_millis` (real time).
pub(super) async fn admit_search(
    store: &dyn Store,
    portal_id: &str,
    wall_millis: i64,
) -> Result<(), CrmError> {
    let portal = load(store, portal_id).await?.unwrap_or_default();
    let limit = portal
        .search_rate_limit
        .unwrap_or(SEARCH_REQUESTS_PER_SECOND);
    let second = wall_millis.div_euclid(1_000);
    let key = search_rate_key(portal_id, second);
    count_in_window(store, portal_id, key, limit, Duration::from_secs(1)).await
}

pub(super) async fn set_search_rate_limit(
    store: &dyn Store,
    portal_id: &str,
    limit: Option<i64>,
) -> Result<(), CrmError> {
    set_limit(store, portal_id, "searchRateLimit", limit).await
}
