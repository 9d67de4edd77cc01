//! A list's total from the partners' lead counters, when the plan's key
//! conditions are exactly its filters.

use pc_platform::store::{Index, Query, Store, StoreError};
use serde_json::Value;

use crate::keys::{COUNTERS_PARTITION, lead_counters_key};
use crate::leads_store::items::{source_counter, status_counter};
use crate::leads_store::plan::{Scope, Total};
use pc_platform::store::pages::query_all;

/// The sum of the scope's counters that `total` names.
pub(super) async fn counter_total(
    store: &dyn Store,
    scope: &Scope,
    total: &Total,
) -> Result<usize, StoreError> {
    let items = match scope {
        Scope::Partners(ids) => {
            let keys: Vec<_> = ids.iter().map(|p| lead_counters_key(p)).collect();
            store.batch_get(&keys).await?
        }
        Scope::All => {
            let query = Query::partition(Index::Gsi1, COUNTERS_PARTITION);
            query_all(store, query, usize::MAX).await?
        }
    };
    let counters: Vec<String> = match total {
        Total::Statuses(statuses) => statuses.iter().map(|s| status_counter(*s)).collect(),
        Total::Sources(sources) => sources.iter().map(|s| source_counter(*s)).collect(),
        Total::Counted => Vec::new(),
    };
    let sum: i64 = items
        .iter()
        .flat_map(|item| counters.iter().map(move |c| item.get(c)))
        .map(|v| v.and_then(Value::as_i64).unwrap_or(0))
        .sum();
    Ok(usize::try_from(sum).unwrap_or(0))
}
