//! Walking every partner in creation order on the `PARTNERS` index
//! partition: all at once for the list, or page by page for jobs.

use pc_platform::store::pages::{Pages, query_all};
use pc_platform::store::{Cursor, Index, Item, Query, Store, StoreError, from_item};

use super::PartnerRecord;

fn partners_query() -> Query {
    Query::partition(Index::Gsi1, pc_http::keys::PARTNERS_INDEX)
}

/// The partners among a page's items.
fn partners_of(items: Vec<Item>) -> Result<Vec<PartnerRecord>, StoreError> {
    items
        .into_iter()
        .filter(|item| item.get("entity").and_then(|e| e.as_str()) == Some("partner"))
        .map(from_item)
        .collect()
}

/// Every partner, in creation order (one query, paged through).
pub async fn list_partners(store: &dyn Store) -> Result<Vec<PartnerRecord>, StoreError> {
    partners_of(query_all(store, partners_query(), usize::MAX).await?)
}

/// Every partner in creation order, a page at a time, for jobs that walk
/// them all without holding them all:
/// `while let Some(partners) = pages.next().await? { … }`.
pub struct PartnerPages<'a>(Pages<'a>);

impl<'a> PartnerPages<'a> {
    /// Pages of up to `per_page` partners.
    pub fn new(store: &'a dyn Store, per_page: usize) -> Self {
        Self(Pages::new(store, partners_query().limit(per_page)))
    }

    /// The next page's partners; `None` once every partner was read.
    pub async fn next(&mut self) -> Result<Option<Vec<PartnerRecord>>, StoreError> {
        self.0.next().await?.map(partners_of).transpose()
    }
}

/// One page of partners in creation order, for a job that carries its
/// place from one message to the next: up to `limit` (all when `None`)
/// after `cursor`, and the cursor of the next page.
pub async fn partners_page(
    store: &dyn Store,
    limit: Option<usize>,
    cursor: Option<Cursor>,
) -> Result<(Vec<PartnerRecord>, Option<Cursor>), StoreError> {
    let mut query = partners_query().after(cursor);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let page = store.query(&query).await?;
    Ok((partners_of(page.items)?, page.cursor))
}
