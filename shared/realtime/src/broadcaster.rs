//! Sends one bus event to the open connections of the partners it
//! concerns, all at once; a connection that is gone (API Gateway's 410)
//! is forgotten, any other failure is logged and the rest still go out.

use futures::future::join_all;

use pc_platform::bus::BusEvent;
use pc_platform::realtime::{ConnectionPush, PushError};
use pc_platform::store::{Store, StoreError};

use crate::audience::{Audience, audience_of, message_of};
use crate::connections_store::{Connection, connections_of, remove_connection};

/// What one broadcast did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Broadcast {
    pub sent: usize,
    /// Connections found gone, now forgotten.
    pub gone: usize,
    pub failed: usize,
}

async fn recipients(store: &dyn Store, audience: &Audience) -> Result<Vec<Connection>, StoreError> {
    match audience {
        Audience::Partners(ids) => {
            let mut all = Vec::new();
            for id in ids {
                all.extend(connections_of(store, Some(id)).await?);
            }
            Ok(all)
        }
        Audience::AllBut(excluded) => Ok(connections_of(store, None)
            .await?
            .into_iter()
            .filter(|c| &c.partner_id != excluded)
            .collect()),
    }
}

/// Pushes `event` to every connection it concerns.
pub async fn broadcast(
    store: &dyn Store,
    push: &dyn ConnectionPush,
    event: &BusEvent,
) -> Result<Broadcast, StoreError> {
    let Some(audience) = audience_of(event) else {
        return Ok(Broadcast::default());
    };
    let connections = recipients(store, &audience).await?;
    let message = message_of(event);
    let pushes = connections
        .iter()
        .map(|c| push.push(&c.connection_id, &message));
    let outcomes = join_all(pushes).await;
    let mut report = Broadcast::default();
    for (connection, outcome) in connections.iter().zip(outcomes) {
        match outcome {
            Ok(()) => report.sent += 1,
            Err(PushError::Gone) => {
                remove_connection(store, &connection.connection_id).await?;
                report.gone += 1;
            }
            Err(PushError::Failed(e)) => {
                tracing::warn!(connection = %connection.connection_id, error = %e, "push failed");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use pc_platform::realtime::LocalConnections;
    use pc_platform::store::embedded::EmbeddedStore;
    use serde_json::json;

    use super::*;
    use crate::connections_store::{get_connection, save_connection};

    #[tokio::test]
    async fn a_listing_reaches_other_partners_and_gone_connections_are_forgotten() {
        let store = EmbeddedStore::in_memory();
        let local = LocalConnections::default();
        let now = Utc::now();
        for (id, partner) in [("seller-tab", "S"), ("buyer-tab", "B"), ("closed-tab", "C")] {
            save_connection(&store, id, partner, "u", now)
                .await
                .unwrap();
        }
        let mut seller = local.open("seller-tab");
        let mut buyer = local.open("buyer-tab");
        let listed = BusEvent {
            detail_type: "lead-listed".into(),
            detail: json!({"sellerId": "S", "leadId": "L"}),
        };

        let report = broadcast(&store, &local, &listed).await.unwrap();

        assert_eq!(
            report,
            Broadcast {
                sent: 1,
                gone: 1,
                failed: 0
            }
        );
        assert!(buyer.recv().await.unwrap().contains("lead-listed"));
        assert!(seller.try_recv().is_err(), "not to the seller");
        assert!(
            get_connection(&store, "closed-tab")
                .await
                .unwrap()
                .is_none()
        );
        assert!(get_connection(&store, "buyer-tab").await.unwrap().is_some());
    }
}
