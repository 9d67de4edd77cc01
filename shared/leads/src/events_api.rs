//! Audit events: the `events` queue worker that stores each event once,
//! and `GET /v1/events` (admin; a partner's admin sees that partner's
//! events only).

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Value;

use pc_activities::audit_sources::activity_writes;
use pc_http::audit::AuditEvent;
use pc_http::functions::WorkerError;
use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiResult, AppState, ListQuery, ListResponse, Principal, QueueMessage};

use crate::events_store::{EventPartition, events_of, store_event_with};
use crate::stage_events::stage_updated;

pub const EVENTS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("id", ColumnKind::Text),
        Column::new("userId", ColumnKind::Text),
        Column::new("userName", ColumnKind::Text),
        Column::new("action", ColumnKind::Text),
        Column::new("partnerId", ColumnKind::Text),
        Column::new("at", ColumnKind::Date),
    ],
    search_fields: &["action", "userName"],
    default_sort: ("at", Direction::Desc),
    extra_params: &["entity", "entityId"],
};

/// Stores one audit event, with the activities and partner event of a
/// change that concerns a partner in the same transaction (redeliveries
/// find it stored and change nothing); a lead's status change stored for
/// the first time then goes on the bus as `stage-updated`.
pub async fn events_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let event: AuditEvent = message.parse()?;
    let activities = activity_writes(ctx, &event).map_err(WorkerError::new)?;
    let stored = store_event_with(&*ctx.store, &event, activities)
        .await
        .map_err(WorkerError::new)?;
    if stored && let Some(stage) = stage_updated(&event) {
        // The change is stored; only the live notice is lost on a bus outage.
        if let Err(e) = ctx.bus.publish(&[stage]).await {
            tracing::warn!(error = %e, lead_id = %event.entity_id, "stage-updated not published");
        }
    }
    Ok(())
}

/// Audit events, newest first; `?entity=lead&entityId=...` for one record.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(("entity" = Option<String>, Query), ("entityId" = Option<String>, Query),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<pc_http::audit::AuditEvent>), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_events(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &EVENTS_LIST)?;
    let entity = query.extra.get("entity").map(String::as_str);
    let entity_id = query.extra.get("entityId").map(String::as_str);
    let scope = principal.scope();
    if !principal.is_staff() && scope.is_none() {
        return Ok(Json(query.page_of(Vec::new())));
    }
    let partition = match (entity, entity_id, scope) {
        (Some(entity), Some(entity_id), _) => EventPartition::Record { entity, entity_id },
        (_, _, Some(pid)) => EventPartition::Partner(pid),
        (_, _, None) => EventPartition::All,
    };
    let rows = events_of(&*ctx.store, partition)
        .await?
        .into_iter()
        .filter(|e| scope.is_none_or(|p| e.partner_id.as_deref() == Some(p)))
        .filter(|e| entity.is_none_or(|k| e.entity == k))
        .filter(|e| entity_id.is_none_or(|k| e.entity_id == k))
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    Ok(Json(query.apply(rows, &EVENTS_LIST)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_http::audit::add_to_outbox;
    use pc_platform::EmbeddedParts;
    use pc_platform::outbox::Outbox;
    use pc_platform::queue::QueueName;

    #[tokio::test]
    async fn an_outbox_message_relayed_twice_is_stored_once() {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let event = AuditEvent::new(
            ctx,
            None,
            "status_changed",
            "lead",
            "L1",
            Some("P1"),
            Value::Null,
            serde_json::json!({"dealStatus": "lost_no_show"}),
        );
        let mut outbox = Outbox::new("O1".into(), ctx.clock.now());
        add_to_outbox(&mut outbox, &event).unwrap();
        let message = &outbox.messages()[0];
        assert_eq!(
            (message.queue, message.id.as_str()),
            (QueueName::Events, event.id.as_str())
        );
        // The stream and the sweep both relayed it: two deliveries, one event.
        for delivery in ["m1", "m2"] {
            let delivered = QueueMessage {
                id: delivery.into(),
                body: message.body.clone(),
                receive_count: 1,
            };
            events_worker(ctx, &delivered).await.unwrap();
        }
        let stored = events_of(
            &*ctx.store,
            EventPartition::Record {
                entity: "lead",
                entity_id: "L1",
            },
        )
        .await
        .unwrap();
        let ids: Vec<_> = stored.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, [event.id.as_str()]);
        // Its partner's activity was written with it, once.
        let now = ctx.clock.now();
        let (feed, _) = pc_activities::activities_store::feed(&*ctx.store, "P1", false, now)
            .await
            .unwrap();
        let activities: Vec<_> = feed
            .iter()
            .map(|a| (a.id.as_str(), a.event_type.as_str()))
            .collect();
        assert_eq!(activities, [(event.id.as_str(), "lead.status_changed")]);
    }
}
