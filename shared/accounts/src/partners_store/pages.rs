//! Walking every partner in creation order on the `PARTNERS` index
//! partition: all at once for the list, or page by page for jobs.

use pc_platform::store::{Cursor, Index, Query, Store, StoreError, from_item};

use super::PartnerRecord;

/// Every partner, in creation order (one query, paged through).
pub async fn list_partners(store: &dyn Store) -> Result<Vec<PartnerRecord>, StoreError> {
    let mut partners = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = partners_page(store, None, cursor).await?;
        partners.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(partners),
        }
    }
}

/// One page of partners in creation order, for jobs that walk every
/// partner without holding them all: up to `limit` (all when `None`)
/// after `cursor`, and the cursor of the next page.
pub async fn partners_page(
    store: &dyn Store,
    limit: Option<usize>,
    cursor: Option<Cursor>,
) -> Result<(Vec<PartnerRecord>, Option<Cursor>), StoreError> {
    let mut query = Query::partition(Index::Gsi1, pc_api::keys::PARTNERS_INDEX).after(cursor);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let page = store.query(&query).await?;
    let partners = page
        .items
        .into_iter()
        .filter(|item| item.get("entity").and_then(|e| e.as_str()) == Some("partner"))
        .map(from_item)
        .collect::<Result<_, _>>()?;
    Ok((partners, page.cursor))
}
