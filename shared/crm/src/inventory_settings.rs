//! A partner's inventory settings: whether deals of its HubSpot portal in
//! some stages become its leads (`enabled`, `stageIds`), whether each is
//! listed on the marketplace at the pricing engine's suggestion
//! (`autoList`), and where the `hubspot-inventory` backfill has reached
//! in each of its searches (the cursors, millis of HubSpot's
//! `hs_lastmodifieddate`).
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The request's fields and the backfill's cursor are set by separate
//! updates of named attributes, so neither overwrites the other.

use serde::{Deserialize, Serialize};

use pc_platform::store::{Index, Query, Store, StoreError, Update, from_item};
use pc_platform::time::timestamp;

pub use crate::keys::{ENABLED_PARTITION, settings_key};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventorySettings {
    pub partner_id: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub stage_ids: Vec<String>,
    #[serde(default)]
    pub auto_list: bool,
    /// The backfill has taken every deal changed before this (millis,
    /// HubSpot's clock); none: from the beginning.
    #[serde(default)]
    pub cursor_millis: Option<i64>,
    /// The backfill has seen every deal that left the stages before this
    /// (millis); none: from the beginning.
    #[serde(default)]
    pub departures_cursor_millis: Option<i64>,
}

/// The backfill's two searches, each with its own cursor: the deals in
/// the listed stages (new leads, leads to put back on the market) and the
/// deals out of them (leads to take off it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Arrivals,
    Departures,
}

impl Pass {
    fn cursor_attribute(self) -> &'static str {
        match self {
            Pass::Arrivals => "cursorMillis",
            Pass::Departures => "departuresCursorMillis",
        }
    }
}

impl InventorySettings {
    /// Whether a deal in `stage` is inventory.
    pub fn takes_stage(&self, stage: &str) -> bool {
        self.enabled && self.stage_ids.iter().any(|s| s == stage)
    }

    /// Where the backfill's `pass` has reached.
    pub fn cursor(&self, pass: Pass) -> Option<i64> {
        match pass {
            Pass::Arrivals => self.cursor_millis,
            Pass::Departures => self.departures_cursor_millis,
        }
    }
}

/// The partner's settings (all off when never set).
pub async fn get_settings(
    store: &dyn Store,
    partner_id: &str,
) -> Result<InventorySettings, StoreError> {
    match store.get(&settings_key(partner_id)).await? {
        Some(item) => from_item(item),
        None => Ok(InventorySettings {
            partner_id: partner_id.to_owned(),
            ..InventorySettings::default()
        }),
    }
}

/// Stores the request's fields. A change of the stages starts the
/// backfill's arrivals over from the beginning, so deals already in a
/// newly listed stage arrive too (the per-deal guards keep the rest from
/// arriving twice); its departures go on from where they were.
pub async fn save_settings(
    store: &dyn Store,
    settings: &InventorySettings,
    stages_changed: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<InventorySettings, StoreError> {
    let key = settings_key(&settings.partner_id);
    let mut update = Update::new(key.clone())
        .set("entity", "hubspot_inventory_settings")
        .set("partnerId", settings.partner_id.clone())
        .set("enabled", settings.enabled)
        .set("stageIds", settings.stage_ids.clone())
        .set("autoList", settings.auto_list)
        .set("updatedAt", timestamp(now));
    update = if settings.enabled {
        update
            .set("gsi1pk", ENABLED_PARTITION)
            .set("gsi1sk", settings.partner_id.clone())
    } else {
        update.remove("gsi1pk").remove("gsi1sk")
    };
    if stages_changed {
        update = update.remove("cursorMillis");
    }
    from_item(store.update(update).await?)
}

/// Moves the cursor of the backfill's `pass`.
pub async fn save_cursor(
    store: &dyn Store,
    partner_id: &str,
    pass: Pass,
    cursor_millis: i64,
) -> Result<(), StoreError> {
    store
        .update(Update::new(settings_key(partner_id)).set(pass.cursor_attribute(), cursor_millis))
        .await
        .map(|_| ())
}

/// Every partner whose inventory sync is on.
pub async fn enabled_settings(store: &dyn Store) -> Result<Vec<InventorySettings>, StoreError> {
    let items = pc_platform::store::pages::query_all(
        store,
        Query::partition(Index::Gsi1, ENABLED_PARTITION),
        usize::MAX,
    )
    .await?;
    items.into_iter().map(from_item).collect()
}
