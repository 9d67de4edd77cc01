//! Reading a whole partition page by page, for the one-off jobs (rebuilds,
//! migrations) that walk every item of it: only one page is held at a time.

use super::{Cursor, Item, Query, Store, StoreError};

/// Hands every item of `query`'s partition to `on_item`, in order, one
/// store round trip per page; stops at the first error `on_item` returns.
pub async fn each_item(
    store: &dyn Store,
    query: Query,
    mut on_item: impl FnMut(Item) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.query(&query.clone().after(cursor)).await?;
        page.items.into_iter().try_for_each(&mut on_item)?;
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Index;
    use crate::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn every_item_of_the_partition_in_order_across_pages() {
        let store = EmbeddedStore::in_memory();
        for n in 0..5 {
            let item = json!({"pk": "P", "sk": format!("{n:02}"), "n": n});
            store
                .put(item.as_object().unwrap().clone(), None)
                .await
                .unwrap();
        }
        let other = json!({"pk": "Q", "sk": "00"});
        store
            .put(other.as_object().unwrap().clone(), None)
            .await
            .unwrap();
        let mut seen = Vec::new();
        let query = Query::partition(Index::Table, "P").limit(2);
        each_item(&store, query, |item| {
            seen.push(item["n"].as_i64().unwrap());
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    }
}
