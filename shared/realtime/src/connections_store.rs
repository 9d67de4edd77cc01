//! Open WebSocket connections, by partner.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Attributes: `connectionId`, `partnerId`, `userId`, `connectedAt`,
//! `viewingLeadId` and `viewingSellerId` (the listed lead the client has
//! open, for presence), `ttl`. API Gateway closes a connection after two
//! hours at most; the `ttl` drops a record whose `$disconnect` never came.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::store::{Condition, Index, Query, Store, StoreError, Update, from_item, to_item};
use pc_platform::time::timestamp;

pub use crate::keys::{ALL_CONNECTIONS, connection_key, partner_connections};

/// How long a record outlives its connection's longest possible life.
pub const CONNECTION_TTL_HOURS: i64 = 3;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub connection_id: String,
    pub partner_id: String,
    pub user_id: String,
    pub connected_at: String,
    #[serde(default)]
    pub viewing_lead_id: Option<String>,
    #[serde(default)]
    pub viewing_seller_id: Option<String>,
}

/// Records a connection that just opened.
pub async fn save_connection(
    store: &dyn Store,
    connection_id: &str,
    partner_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    let connection = Connection {
        connection_id: connection_id.to_owned(),
        partner_id: partner_id.to_owned(),
        user_id: user_id.to_owned(),
        connected_at: timestamp(now),
        viewing_lead_id: None,
        viewing_seller_id: None,
    };
    let key = connection_key(connection_id);
    let mut item = to_item(&connection)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "ws_connection".into());
    item.insert("gsi1pk".into(), partner_connections(partner_id).into());
    item.insert("gsi1sk".into(), connection_id.into());
    item.insert("gsi2pk".into(), ALL_CONNECTIONS.into());
    item.insert("gsi2sk".into(), connection_id.into());
    item.insert(
        "ttl".into(),
        (now + Duration::hours(CONNECTION_TTL_HOURS))
            .timestamp()
            .into(),
    );
    store.put(item, None).await?;
    Ok(connection)
}

pub async fn get_connection(
    store: &dyn Store,
    connection_id: &str,
) -> Result<Option<Connection>, StoreError> {
    store.get_as(&connection_key(connection_id)).await
}

/// Forgets a connection; answers it as it was (`None`: already gone).
pub async fn remove_connection(
    store: &dyn Store,
    connection_id: &str,
) -> Result<Option<Connection>, StoreError> {
    let found = get_connection(store, connection_id).await?;
    if found.is_some() {
        store.delete(&connection_key(connection_id), None).await?;
    }
    Ok(found)
}

/// Sets (or clears) the lead a connection has open.
pub async fn set_viewing(
    store: &dyn Store,
    connection_id: &str,
    viewing: Option<(&str, &str)>,
) -> Result<(), StoreError> {
    let update = Update::new(connection_key(connection_id)).when(Condition::Exists);
    let update = match viewing {
        Some((lead, seller)) => update
            .set("viewingLeadId", lead)
            .set("viewingSellerId", seller),
        None => update.remove("viewingLeadId").remove("viewingSellerId"),
    };
    match store.update(update).await {
        Ok(_) => Ok(()),
        // The connection closed meanwhile: nothing to keep.
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(e),
    }
}

/// The open connections of a partner, or of everyone (`None`).
pub async fn connections_of(
    store: &dyn Store,
    partner_id: Option<&str>,
) -> Result<Vec<Connection>, StoreError> {
    let mut query = match partner_id {
        Some(pid) => Query::partition(Index::Gsi1, partner_connections(pid)),
        None => Query::partition(Index::Gsi2, ALL_CONNECTIONS),
    };
    let mut all = Vec::new();
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            all.push(from_item(item)?);
        }
        match page.cursor {
            Some(c) => query = query.after(Some(c)),
            None => return Ok(all),
        }
    }
}
