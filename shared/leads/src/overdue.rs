//! Overdue leads, for the daily reminders: a partner's leads whose
//! scheduled date has passed while the deal is still open. One query on
//! the partner's open-leads index (gsi3), which only holds leads that are
//! not won or lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use pc_platform::store::{Store, StoreError};
use pc_platform::time::{serde_millis, timestamp};

use crate::deal_status::DealStatus;
use crate::leads_store;

/// One overdue lead, as the reminder email lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueLead {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    #[serde(with = "serde_millis")]
    pub scheduled_date: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The partner's leads with `scheduledDate < now` and a status that is not
/// won or lost, oldest scheduled first.
pub async fn overdue_leads_for_partner(
    store: &dyn Store,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<OverdueLead>, StoreError> {
    Ok(leads_store::open_scheduled_before(store, partner_id, now)
        .await?
        .into_iter()
        .filter(|l| !l.deal_status.is_closed())
        .filter_map(|l| {
            Some(OverdueLead {
                scheduled_date: l.scheduled_date.filter(|at| *at < now)?,
                id: l.id,
                email: l.email,
                first_name: l.contact.first_name,
                last_name: l.contact.last_name,
                company: l.contact.company,
                updated_at: l.updated_at,
            })
        })
        .collect())
}

/// The filter array the SPA applies for the "overdue" view (the magic
/// link answers it): scheduled before `now`, status not won or lost.
pub fn overdue_filters(now: DateTime<Utc>) -> Value {
    json!([
        {"column": "scheduledDate", "operator": "lt", "value": timestamp(now)},
        {"column": "dealStatus", "operator": "not_in", "value": DealStatus::CLOSED_NAMES},
    ])
}
