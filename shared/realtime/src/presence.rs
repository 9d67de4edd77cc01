//! Viewer presence: a client says which listed lead's detail it opened
//! (`{"action": "view-lead", "leadId": "..."}`) and when it left it
//! (`{"action": "leave-lead"}`, or by disconnecting). The seller hears
//! `viewer-joined` and `viewer-left`; a viewer's own leads, leads not
//! listed and unknown leads tell nobody.

use serde::Deserialize;
use serde_json::json;

use pc_marketplace::listing_store::{MarketplaceStatus, get_listing};
use pc_platform::AppContext;
use pc_platform::bus::BusEvent;
use pc_platform::store::StoreError;

use crate::connections_store::{Connection, set_viewing};

/// A message a client sends over its socket.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ClientMessage {
    #[serde(rename_all = "camelCase")]
    ViewLead {
        lead_id: String,
    },
    LeaveLead,
}

fn viewer_event(kind: &str, connection: &Connection, lead_id: &str, seller_id: &str) -> BusEvent {
    BusEvent {
        detail_type: kind.into(),
        detail: json!({
            "leadId": lead_id, "sellerId": seller_id,
            "viewerPartnerId": connection.partner_id, "connectionId": connection.connection_id,
        }),
    }
}

async fn publish(ctx: &AppContext, event: BusEvent) {
    if let Err(e) = ctx.bus.publish(&[event]).await {
        tracing::warn!(error = %e, "presence event not published");
    }
}

/// `viewer-left` for what `connection` had open, if anything.
pub async fn leave(ctx: &AppContext, connection: &Connection) {
    if let (Some(lead), Some(seller)) = (&connection.viewing_lead_id, &connection.viewing_seller_id)
    {
        publish(ctx, viewer_event("viewer-left", connection, lead, seller)).await;
    }
}

/// Applies one client message of `connection` (as stored before it).
pub async fn apply(
    ctx: &AppContext,
    connection: &Connection,
    message: &ClientMessage,
) -> Result<(), StoreError> {
    match message {
        ClientMessage::LeaveLead => {
            set_viewing(&*ctx.store, &connection.connection_id, None).await?;
            leave(ctx, connection).await;
        }
        ClientMessage::ViewLead { lead_id } => {
            if connection.viewing_lead_id.as_deref() == Some(lead_id.as_str()) {
                return Ok(());
            }
            leave(ctx, connection).await;
            let listing = get_listing(&*ctx.store, lead_id).await?.filter(|l| {
                l.marketplace_status == MarketplaceStatus::Listed
                    && l.seller_id != connection.partner_id
            });
            let viewing = listing
                .as_ref()
                .map(|l| (lead_id.as_str(), l.seller_id.as_str()));
            set_viewing(&*ctx.store, &connection.connection_id, viewing).await?;
            if let Some(listing) = listing {
                let joined = viewer_event("viewer-joined", connection, lead_id, &listing.seller_id);
                publish(ctx, joined).await;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_read_by_their_action() {
        let view: ClientMessage =
            serde_json::from_str(r#"{"action":"view-lead","leadId":"L1"}"#).unwrap();
        assert_eq!(
            view,
            ClientMessage::ViewLead {
                lead_id: "L1".into()
            }
        );
        let leave: ClientMessage = serde_json::from_str(r#"{"action":"leave-lead"}"#).unwrap();
        assert_eq!(leave, ClientMessage::LeaveLead);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"action":"buy"}"#).is_err());
    }
}
