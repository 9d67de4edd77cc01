//! Audit events: every change to a lead or a user is described once and
//! sent on the `events` queue (through the outbox of the change's own
//! transaction); the `events` worker stores each id once and
//! `GET /v1/events` lists them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::StoreError;
use pc_platform::time::serde_millis;

use crate::identity::Principal;

/// One change, as it travels on the `events` queue and is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Unique per change; the worker stores each id once.
    pub id: String,
    /// Who made the change (`None`: the system, a webhook or a job).
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// `created`, `updated`, `status_changed`, `deleted`...
    pub action: String,
    /// `lead`, `user`, ...
    pub entity: String,
    pub entity_id: String,
    /// The partner the changed record belongs to, for scoping the list.
    pub partner_id: Option<String>,
    /// Summary of the fields before and after the change (`null`: the
    /// record did not exist before, or does not after).
    #[schema(value_type = Option<std::collections::HashMap<String, Value>>)]
    pub before: Value,
    #[schema(value_type = Option<std::collections::HashMap<String, Value>>)]
    pub after: Value,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

impl Message for AuditEvent {
    const QUEUE: QueueName = QueueName::Events;
}

impl AuditEvent {
    /// A change made by `actor` (or by the system when `None`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &AppContext,
        actor: Option<&Principal>,
        action: &str,
        entity: &str,
        entity_id: &str,
        partner_id: Option<&str>,
        before: Value,
        after: Value,
    ) -> Self {
        Self {
            id: ctx.ids.new_id(),
            user_id: actor.map(|p| p.user_id.clone()),
            user_name: actor.map(|p| p.name.clone()),
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
            partner_id: partner_id.map(str::to_owned),
            before,
            after,
            at: ctx.clock.now(),
        }
    }
}

/// Puts the event in `outbox`, so it is sent once the change it describes
/// commits (and only then); its id is what the worker stores once.
pub fn add_to_outbox(outbox: &mut Outbox, event: &AuditEvent) -> Result<(), StoreError> {
    outbox.push_message(&event.id, event)
}
