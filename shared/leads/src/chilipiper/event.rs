//! The ChiliPiper event: the payload the webhook accepts, and the same
//! event stamped with its receipt time as it travels on the queue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_platform::failure::Failure;
use pc_platform::queue::{Message, QueueName};
use pc_platform::time::serde_millis;

use crate::meetings_store::{Guest, MeetingStatus, Person};

/// What ChiliPiper says happened to a meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChiliEventType {
    Created,
    Updated,
    Rescheduled,
    Canceled,
}

impl ChiliEventType {
    pub fn status(self) -> MeetingStatus {
        match self {
            ChiliEventType::Created => MeetingStatus::Created,
            ChiliEventType::Updated => MeetingStatus::Updated,
            ChiliEventType::Rescheduled => MeetingStatus::Rescheduled,
            ChiliEventType::Canceled => MeetingStatus::Canceled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChiliEventType::Created => "created",
            ChiliEventType::Updated => "updated",
            ChiliEventType::Rescheduled => "rescheduled",
            ChiliEventType::Canceled => "canceled",
        }
    }
}

/// The webhook payload (extra fields are ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChiliPiperEvent {
    pub meeting_id_chili: String,
    pub event_type: ChiliEventType,
    pub meeting_type_name: String,
    pub title: Option<String>,
    #[schema(value_type = String)]
    pub start_time: DateTime<Utc>,
    #[schema(value_type = Option<String>)]
    pub end_time: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub assignee: Option<Person>,
    pub host: Option<Person>,
    #[serde(default)]
    pub guests: Vec<Guest>,
}

impl ChiliPiperEvent {
    /// Checks what serde cannot: ids and names present, sane lengths.
    pub(super) fn check(&self) -> Result<(), Failure> {
        let id = self.meeting_id_chili.trim();
        if id.is_empty() || id.len() > 200 || id.contains(['#', '/', '\0']) {
            return Err(Failure::invalid_field(
                "meetingIdChili",
                "must be 1 to 200 characters without #, / or NUL",
            ));
        }
        if self.meeting_type_name.trim().is_empty() || self.meeting_type_name.len() > 300 {
            return Err(Failure::invalid_field(
                "meetingTypeName",
                "must be 1 to 300 characters",
            ));
        }
        Ok(())
    }
}

/// An event as it travels on `chilipiper-webhook`: stamped with the time
/// the webhook received it, which orders updates of equal rank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedEvent {
    #[serde(flatten)]
    pub event: ChiliPiperEvent,
    /// Absent on messages enqueued before stamping existed: they count as
    /// received when the worker applies them.
    #[serde(default, with = "serde_millis::option")]
    pub received_at: Option<DateTime<Utc>>,
}

impl Message for ReceivedEvent {
    const QUEUE: QueueName = QueueName::ChilipiperWebhook;
}
