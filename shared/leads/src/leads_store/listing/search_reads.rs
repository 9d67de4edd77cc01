//! The leads a search finds: through the search entries of a word or the
//! email guards, then read by id in batches.

use std::collections::HashSet;

use pc_platform::store::{Index, MAX_BATCH_GET, Query, SortKey, Store, StoreError, from_item};
use serde_json::Value;

use crate::lead::LeadRecord;
use crate::lead_search::{LeadSearch, indexed_word};

use crate::leads_store::items::{email_guard_key, email_partition, lead_key, word_partition};
use crate::leads_store::plan::Scope;
use crate::leads_store::query_all;

/// The ids of the leads whose search entries match `search`, with their
/// created dates (`(createdAt, id)`, each lead once), and whether every
/// entry of `word` was read (at most `limit`).
pub(super) async fn matching_entries(
    store: &dyn Store,
    scope: &Scope,
    word: &str,
    search: &LeadSearch,
    limit: usize,
) -> Result<(Vec<(String, String)>, bool), StoreError> {
    let word = indexed_word(word);
    let queries: Vec<Query> = match scope {
        Scope::All => vec![Query::partition(Index::Gsi1, word_partition(None, word))],
        Scope::Partners(ids) => ids
            .iter()
            .map(|p| Query::partition(Index::Table, word_partition(Some(p), word)))
            .collect(),
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut read = 0;
    for query in queries {
        let query = query.sk(SortKey::BeginsWith(word.to_owned()));
        let room = limit.saturating_sub(read);
        let items = query_all(store, query, room.saturating_add(1)).await?;
        if items.len() > room {
            return Ok((found, false));
        }
        read += items.len();
        for item in items {
            let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
            let (Some(id), Some(created)) = (text("leadId"), text("createdAt")) else {
                continue;
            };
            let words: Vec<String> = item
                .get("words")
                .and_then(Value::as_array)
                .map(|ws| {
                    ws.iter()
                        .filter_map(|w| w.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if search.matches_words(&words) && seen.insert(id.clone()) {
                found.push((created, id));
            }
        }
    }
    Ok((found, true))
}

/// The ids of the leads with `email` in the scope, through their guards.
pub(super) async fn email_lead_ids(
    store: &dyn Store,
    scope: &Scope,
    email: &str,
) -> Result<Vec<String>, StoreError> {
    let guards = match scope {
        Scope::Partners(ids) => {
            let keys: Vec<_> = ids.iter().map(|p| email_guard_key(p, email)).collect();
            store.batch_get(&keys).await?
        }
        Scope::All => {
            let query = Query::partition(Index::Gsi1, email_partition(email));
            query_all(store, query, usize::MAX).await?
        }
    };
    Ok(guards
        .iter()
        .filter_map(|g| g.get("leadId").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// The leads of `ids` that exist, in the order of `ids`.
pub(super) async fn get_leads(
    store: &dyn Store,
    ids: &[String],
) -> Result<Vec<LeadRecord>, StoreError> {
    let mut leads = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| lead_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            leads.push(from_item(item)?);
        }
    }
    Ok(leads)
}
