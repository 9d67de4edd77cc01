//! Reading a query page by page, one store round trip per page. Three
//! shapes cover the callers: [`Pages`] for a loop with its own step per
//! page (an async write, an early stop), [`query_up_to`] / [`query_all`]
//! for the items up to a bound, and [`each_item`] for a one-off job (a
//! rebuild, a migration) that walks a whole partition holding one page at
//! a time.

use super::{Cursor, Item, Query, Store, StoreError};

/// The most items [`query_up_to`] asks of one page.
pub const QUERY_PAGE: usize = 1_000;

/// A query's pages, in order:
/// `while let Some(items) = pages.next().await? { … }`.
pub struct Pages<'a> {
    store: &'a dyn Store,
    query: Query,
    cursor: Option<Cursor>,
    ended: bool,
}

impl<'a> Pages<'a> {
    /// The pages of `query`, its own limit (if any) the size of each.
    pub fn new(store: &'a dyn Store, query: Query) -> Self {
        Self {
            store,
            query,
            cursor: None,
            ended: false,
        }
    }

    /// The next page's items; `None` once the query has ended.
    pub async fn next(&mut self) -> Result<Option<Vec<Item>>, StoreError> {
        let query = self.query.clone();
        self.read(query).await
    }

    /// [`Pages::next`], asking at most `limit` items of this page.
    pub async fn next_up_to(&mut self, limit: usize) -> Result<Option<Vec<Item>>, StoreError> {
        let query = self.query.clone().limit(limit);
        self.read(query).await
    }

    /// Whether the query may have pages left (the last page came with a
    /// cursor; like DynamoDB's, one that filled its limit exactly does):
    /// after a caller stopped at its bound, whether what it read may not
    /// be the whole answer.
    pub fn has_more(&self) -> bool {
        !self.ended
    }

    async fn read(&mut self, query: Query) -> Result<Option<Vec<Item>>, StoreError> {
        if self.ended {
            return Ok(None);
        }
        let page = self.store.query(&query.after(self.cursor.take())).await?;
        self.cursor = page.cursor;
        self.ended = self.cursor.is_none();
        Ok(Some(page.items))
    }
}

/// The items of `query` until it ends or `limit` were read (pages of at
/// most [`QUERY_PAGE`], the last no more than what is missing), and
/// whether it may have had more ([`Pages::has_more`]).
pub async fn query_up_to(
    store: &dyn Store,
    query: Query,
    limit: usize,
) -> Result<(Vec<Item>, bool), StoreError> {
    let mut pages = Pages::new(store, query);
    let mut items = Vec::new();
    while let Some(page) = pages
        .next_up_to((limit - items.len()).min(QUERY_PAGE))
        .await?
    {
        items.extend(page);
        if items.len() >= limit {
            break;
        }
    }
    Ok((items, pages.has_more()))
}

/// The items of `query` until it ends or `limit` were read
/// (`usize::MAX`: all of them).
pub async fn query_all(
    store: &dyn Store,
    query: Query,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    Ok(query_up_to(store, query, limit).await?.0)
}

/// Hands every item of `query`'s partition to `on_item`, in order, one
/// store round trip per page; stops at the first error `on_item` returns.
pub async fn each_item(
    store: &dyn Store,
    query: Query,
    mut on_item: impl FnMut(Item) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut pages = Pages::new(store, query);
    while let Some(items) = pages.next().await? {
        items.into_iter().try_for_each(&mut on_item)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Index;
    use crate::store::embedded::EmbeddedStore;

    #[tokio::test]
    async fn every_item_of_the_partition_in_order_across_pages() {
        let store = five_items().await;
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

    async fn five_items() -> EmbeddedStore {
        let store = EmbeddedStore::in_memory();
        for n in 0..5 {
            let item = json!({"pk": "P", "sk": format!("{n:02}"), "n": n});
            store
                .put(item.as_object().unwrap().clone(), None)
                .await
                .unwrap();
        }
        store
    }

    fn numbers(items: &[Item]) -> Vec<i64> {
        items.iter().map(|i| i["n"].as_i64().unwrap()).collect()
    }

    #[tokio::test]
    async fn pages_end_with_none_and_tell_whether_more_are_left() {
        let store = five_items().await;
        let mut pages = Pages::new(&store, Query::partition(Index::Table, "P").limit(2));
        let mut seen = Vec::new();
        while let Some(items) = pages.next().await.unwrap() {
            seen.push(numbers(&items));
            assert_eq!(pages.has_more(), seen.len() < 3);
        }
        assert_eq!(seen, [vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(pages.next().await.unwrap(), None);
        let mut pages = Pages::new(&store, Query::partition(Index::Table, "P"));
        assert_eq!(
            numbers(&pages.next_up_to(3).await.unwrap().unwrap()),
            [0, 1, 2]
        );
        assert_eq!(
            numbers(&pages.next_up_to(3).await.unwrap().unwrap()),
            [3, 4]
        );
        assert!(!pages.has_more());
    }

    #[tokio::test]
    async fn up_to_a_bound_says_whether_it_stopped_short() {
        let store = five_items().await;
        let query = || Query::partition(Index::Table, "P");
        let (items, more) = query_up_to(&store, query(), 3).await.unwrap();
        assert_eq!((numbers(&items), more), (vec![0, 1, 2], true));
        let (items, more) = query_up_to(&store, query(), 6).await.unwrap();
        assert_eq!((numbers(&items), more), (vec![0, 1, 2, 3, 4], false));
        let all = query_all(&store, query().descending(), usize::MAX).await;
        assert_eq!(numbers(&all.unwrap()), [4, 3, 2, 1, 0]);
    }
}
