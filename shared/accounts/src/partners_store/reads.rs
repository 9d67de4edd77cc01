//! Reading partners by id, by id or slug, with their version, and their
//! names in batches.

use std::collections::BTreeMap;

use pc_http::identity::partner_key;
use pc_platform::store::{MAX_BATCH_GET, Store, StoreError, from_item};

use super::{EmailPreferences, PartnerRecord, slug_guard_key};

pub async fn get_partner(store: &dyn Store, id: &str) -> Result<Option<PartnerRecord>, StoreError> {
    store.get_as(&partner_key(id)).await
}

/// The partner's email preferences (defaults when the partner is unknown).
pub async fn email_preferences(
    store: &dyn Store,
    partner_id: &str,
) -> Result<EmailPreferences, StoreError> {
    Ok(get_partner(store, partner_id)
        .await?
        .map(|p| p.notification_preferences.email)
        .unwrap_or_default())
}

/// A partner by id or, failing that, by slug (one batch, plus one get
/// when it is a slug).
pub async fn find_partner(
    store: &dyn Store,
    id_or_slug: &str,
) -> Result<Option<PartnerRecord>, StoreError> {
    let id_key = partner_key(id_or_slug);
    let slug_key = slug_guard_key(&id_or_slug.to_lowercase());
    let items = store.batch_get(&[id_key.clone(), slug_key]).await?;
    let mut by_slug = None;
    for item in items {
        match item.get("entity").and_then(|v| v.as_str()) {
            Some("partner") => return Ok(Some(from_item(item)?)),
            Some("slug_guard") => {
                by_slug = item
                    .get("partnerId")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            }
            _ => {}
        }
    }
    match by_slug {
        Some(id) => get_partner(store, &id).await,
        None => Ok(None),
    }
}

/// A partner with the `version` its profile writes are conditional on
/// (0 for a partner never changed since it was created).
pub async fn get_partner_versioned(
    store: &dyn Store,
    id: &str,
) -> Result<Option<(PartnerRecord, i64)>, StoreError> {
    let Some(item) = store.get(&partner_key(id)).await? else {
        return Ok(None);
    };
    let version = item
        .get("version")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    Ok(Some((from_item(item)?, version)))
}

/// The names of the partners of `ids` (`{id → name}`; unknown ids are
/// left out), read in batches.
#[tracing::instrument(skip_all)]
pub async fn partner_names(
    store: &dyn Store,
    ids: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut unique: Vec<String> = ids.into_iter().collect();
    unique.sort();
    unique.dedup();
    let mut names = BTreeMap::new();
    for chunk in unique.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| partner_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            let partner: PartnerRecord = from_item(item)?;
            names.insert(partner.id, partner.name);
        }
    }
    Ok(names)
}
