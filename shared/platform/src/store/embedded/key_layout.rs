//! How keys become redb byte keys: the table and index key encodings, the
//! byte range of a key condition and where a cursor resumes. Kept apart
//! because this layout is what makes redb's byte order DynamoDB's order,
//! and reads and writes both depend on it.

use std::ops::Bound;

use serde_json::Value;

use crate::store::{Cursor, Index, Item, Key, Query, SortKey, StoreError};

pub(super) fn table_key(key: &Key) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.pk.len() + key.sk.len() + 1);
    bytes.extend_from_slice(key.pk.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(key.sk.as_bytes());
    bytes
}

pub(super) fn index_key(index_pk: &str, index_sk: &str, key: &Key) -> Vec<u8> {
    let mut bytes = Vec::new();
    for part in [index_pk, index_sk, &key.pk] {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(0);
    }
    bytes.extend_from_slice(key.sk.as_bytes());
    bytes
}

/// The index key of an item in `index`, if the item carries both attributes.
pub(super) fn item_index_key(item: &Item, index: Index, key: &Key) -> Option<Vec<u8>> {
    let (pk_attr, sk_attr) = index.key_attributes();
    let ipk = item.get(pk_attr)?.as_str()?;
    let isk = item.get(sk_attr)?.as_str()?;
    Some(index_key(ipk, isk, key))
}

/// The byte range of a key condition inside one partition.
pub(super) fn query_range(query: &Query) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let mut prefix = query.pk.as_bytes().to_vec();
    prefix.push(0);
    let with = |sk: &str, extra: Option<u8>| {
        let mut b = prefix.clone();
        b.extend_from_slice(sk.as_bytes());
        b.extend(extra);
        b
    };
    let mut partition_end = query.pk.as_bytes().to_vec();
    partition_end.push(1);
    let start = |b| Bound::Included(b);
    let end = |b| Bound::Excluded(b);
    match &query.sk {
        SortKey::Any => (start(prefix.clone()), end(partition_end)),
        // 0xFF never occurs in UTF-8, so it ends every key with the prefix;
        // 0x01 ends every key whose sort key equals the bound.
        SortKey::Eq(v) => (start(with(v, None)), end(with(v, Some(1)))),
        SortKey::BeginsWith(p) => (start(with(p, None)), end(with(p, Some(0xFF)))),
        SortKey::Between(lo, hi) => (start(with(lo, None)), end(with(hi, Some(1)))),
        SortKey::Lt(v) => (start(prefix.clone()), end(with(v, None))),
        SortKey::Lte(v) => (start(prefix.clone()), end(with(v, Some(1)))),
        SortKey::Gt(v) => (start(with(v, Some(1))), end(partition_end)),
        SortKey::Gte(v) => (start(with(v, None)), end(partition_end)),
    }
}

/// Where a cursor resumes, as the raw key of the last item returned.
pub(super) fn cursor_position(query: &Query, cursor: &Cursor) -> Result<Vec<u8>, StoreError> {
    let last = cursor.decode()?;
    let text = |attr: &str| {
        last.get(attr)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(StoreError::InvalidCursor)
    };
    let key = Key::new(text("pk")?, text("sk")?);
    let (ipk_attr, isk_attr) = query.index.key_attributes();
    let ipk = text(ipk_attr)?;
    if ipk != query.pk {
        return Err(StoreError::InvalidCursor);
    }
    Ok(match query.index {
        Index::Table => table_key(&key),
        _ => index_key(&ipk, &text(isk_attr)?, &key),
    })
}

/// Whether `key` lies inside the range `bounds`.
pub(super) fn within(key: &[u8], bounds: (&Bound<Vec<u8>>, &Bound<Vec<u8>>)) -> bool {
    let above = match bounds.0 {
        Bound::Included(lo) => key >= lo.as_slice(),
        Bound::Excluded(lo) => key > lo.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match bounds.1 {
        Bound::Included(hi) => key <= hi.as_slice(),
        Bound::Excluded(hi) => key < hi.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

pub(super) fn as_slice_bound(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(b) => Bound::Included(b.as_slice()),
        Bound::Excluded(b) => Bound::Excluded(b.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// redb panics on a range whose start is past its end; a cursor or a
/// `Between` given backwards can produce one.
pub(super) fn range_is_empty(bounds: &(Bound<&[u8]>, Bound<&[u8]>)) -> bool {
    match bounds {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}
