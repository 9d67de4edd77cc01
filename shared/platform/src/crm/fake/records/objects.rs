//! Contacts and deals: their keys, the versioned item each is stored in,
//! HubSpot's default and last-modified properties, updates retried when
//! they lose a race, the unique contact email claimed with its contact, and
//! the change feed on GSI1 that incremental syncs read.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::crm::fake::keys::email_key;
pub(in super::super) use crate::crm::fake::keys::{changes_partition, object_key};
use crate::crm::fake::portal::unavailable;
use crate::crm::{CrmError, CrmObject, ObjectType, Properties};
use crate::store::{Condition, Index, Item, Query, SortKey, Store, Write, retry_on_conflict};

pub(in super::super) fn change_sort(modified_millis: i64, id: &str) -> String {
    format!("{modified_millis:015}#{id}")
}

/// The last-modified property HubSpot keeps on each type.
pub fn modified_property(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Contacts => "lastmodifieddate",
        ObjectType::Deals => "hs_lastmodifieddate",
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored object with the version its next write is conditional on.
pub(in super::super) struct Stored {
    pub object: CrmObject,
    pub version: i64,
}

pub(in super::super) async fn load(
    store: &dyn Store,
    portal_id: &str,
    object_type: ObjectType,
    id: &str,
) -> Result<Option<Stored>, CrmError> {
    let Some(item) = store
        .get(&object_key(portal_id, object_type, id))
        .await
        .map_err(unavailable)?
    else {
        return Ok(None);
    };
    let object = serde_json::from_value(item.get("object").cloned().unwrap_or_default())
        .map_err(|e| CrmError::Unavailable(format!("fake HubSpot record: {e}")))?;
    let version = item.get("version").and_then(Value::as_i64).unwrap_or(0);
    Ok(Some(Stored { object, version }))
}

/// The write that stores `object` at `version + 1`, conditional on the
/// item being at `version` (absent when `None`).
pub(in super::super) fn save(
    portal_id: &str,
    object_type: ObjectType,
    object: &CrmObject,
    version: Option<i64>,
    modified_millis: i64,
) -> Write {
    let key = object_key(portal_id, object_type, &object.id);
    let mut stored = object.clone();
    stored.trace_id = None;
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_fake_object".into());
    item.insert(
        "gsi1pk".into(),
        changes_partition(portal_id, object_type).into(),
    );
    item.insert(
        "gsi1sk".into(),
        change_sort(modified_millis, &object.id).into(),
    );
    item.insert(
        "object".into(),
        serde_json::to_value(&stored).unwrap_or_default(),
    );
    item.insert("version".into(), (version.unwrap_or(0) + 1).into());
    Write::Put {
        item,
        condition: Some(match version {
            Some(v) => Condition::equals("version", v),
            None => Condition::NotExists,
        }),
    }
}

/// A new object with HubSpot's default properties.
pub(in super::super) fn new_object(
    object_type: ObjectType,
    id: &str,
    mut properties: Properties,
    now: DateTime<Utc>,
) -> CrmObject {
    properties.insert("hs_object_id".into(), id.into());
    properties.insert("createdate".into(), stamp(now));
    properties.insert(modified_property(object_type).into(), stamp(now));
    CrmObject {
        id: id.into(),
        properties,
        created_at: stamp(now),
        updated_at: stamp(now),
        archived: false,
        trace_id: None,
    }
}

/// Applies `changes` to `object` (an empty value clears a property);
/// answers the names whose value changed.
pub(in super::super) fn apply(
    object_type: ObjectType,
    object: &mut CrmObject,
    changes: &Properties,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut changed = Vec::new();
    for (name, value) in changes {
        let before = object.properties.get(name);
        if value.is_empty() {
            if before.is_some() {
                object.properties.remove(name);
                changed.push(name.clone());
            }
        } else if before != Some(value) {
            object.properties.insert(name.clone(), value.clone());
            changed.push(name.clone());
        }
    }
    object
        .properties
        .insert(modified_property(object_type).into(), stamp(now));
    object.updated_at = stamp(now);
    changed
}

/// Updates one object, retrying when it changed under us; `None` when it
/// does not exist.
pub(in super::super) async fn update(
    store: &dyn Store,
    portal_id: &str,
    object_type: ObjectType,
    id: &str,
    changes: &Properties,
    now: DateTime<Utc>,
) -> Result<Option<(CrmObject, Vec<String>)>, CrmError> {
    let updated = retry_on_conflict(|_| async {
        let Some(mut stored) = load(store, portal_id, object_type, id).await? else {
            return Ok(Some(None));
        };
        let changed = apply(object_type, &mut stored.object, changes, now);
        let write = save(
            portal_id,
            object_type,
            &stored.object,
            Some(stored.version),
            now.timestamp_millis(),
        );
        match store.transact(vec![write]).await {
            Ok(()) => Ok(Some(Some((stored.object, changed)))),
            Err(e) if e.lost_race() => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    })
    .await?;
    updated
        .ok_or_else(|| CrmError::Unavailable("the fake HubSpot lost too many races; retry".into()))
}

/// The contact id of an email, if any.
pub(in super::super) async fn contact_by_email(
    store: &dyn Store,
    portal_id: &str,
    email: &str,
) -> Result<Option<String>, CrmError> {
    Ok(store
        .get(&email_key(portal_id, email))
        .await
        .map_err(unavailable)?
        .and_then(|item| {
            item.get("contactId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }))
}

/// Stores a new object; for a contact with an email, claims the email in
/// the same transaction. `Ok(false)` when the email was claimed first.
pub(in super::super) async fn create(
    store: &dyn Store,
    portal_id: &str,
    object_type: ObjectType,
    object: &CrmObject,
    now_millis: i64,
    extra: Vec<Write>,
) -> Result<bool, CrmError> {
    let mut writes = vec![save(portal_id, object_type, object, None, now_millis)];
    writes.extend(extra);
    if let (ObjectType::Contacts, Some(email)) = (object_type, object.properties.get("email")) {
        let key = email_key(portal_id, email);
        let mut item = Item::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "hubspot_fake_email".into());
        item.insert("contactId".into(), object.id.clone().into());
        writes.push(Write::put_new(item));
    }
    match store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(e) if e.lost_race() => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}

/// Every object of a type whose last change is at or after `since_millis`,
/// oldest change first, from `after` (a sort key) on.
pub(in super::super) async fn changed_since(
    store: &dyn Store,
    portal_id: &str,
    object_type: ObjectType,
    since_millis: i64,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<CrmObject>, Option<String>), CrmError> {
    let from = match after {
        Some(after) => SortKey::Gt(after.to_owned()),
        None => SortKey::Gte(change_sort(since_millis, "")),
    };
    let query = Query::partition(Index::Gsi1, changes_partition(portal_id, object_type))
        .sk(from)
        .limit(limit);
    let page = store.query(&query).await.map_err(unavailable)?;
    let mut objects = Vec::new();
    let mut last = None;
    for item in &page.items {
        last = item
            .get("gsi1sk")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(object) = item
            .get("object")
            .and_then(|o| serde_json::from_value(o.clone()).ok())
        {
            objects.push(object);
        }
    }
    let more = page.cursor.is_some() && objects.len() == limit;
    Ok((objects, if more { last } else { None }))
}

/// Every deal whose last change is in `[from, before)` (millis), oldest
/// change first, then by id: the whole window, read page by page.
pub(in super::super) async fn deals_changed_in(
    store: &dyn Store,
    portal_id: &str,
    from: i64,
    before: i64,
) -> Result<Vec<CrmObject>, CrmError> {
    let mut objects = Vec::new();
    if before <= from {
        return Ok(objects);
    }
    // `<before>#` sorts before every `<before>#<id>`: the end is exclusive.
    let range = SortKey::Between(change_sort(from, ""), change_sort(before, ""));
    let mut query =
        Query::partition(Index::Gsi1, changes_partition(portal_id, ObjectType::Deals)).sk(range);
    loop {
        let page = store.query(&query).await.map_err(unavailable)?;
        objects.extend(
            page.items
                .iter()
                .filter_map(|item| serde_json::from_value(item.get("object")?.clone()).ok()),
        );
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(objects),
        }
    }
}
