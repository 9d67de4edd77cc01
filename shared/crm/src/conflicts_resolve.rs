//! Carrying out a conflict's resolution: the settled value is checked
//! against the lead rules first, then sent to HubSpot when HubSpot holds
//! another value, then stored on the lead (through the lead change path,
//! with the caller as the audit event's user) together with the sync
//! record's agreed value and the resolved conflict, in one transaction.

use pc_platform::error_code::ErrorCode;
use serde_json::{Map, Value};

use pc_http::Principal;
use pc_leads::lead::parse_dollars;
use pc_leads::lead_changes::{ChangeError, Changed, change_lead};
use pc_leads::leads_api::LeadPatch;
use pc_leads::leads_store::{self, LeadWriteError};
use pc_platform::AppContext;
use pc_platform::crm::{CrmError, ObjectType, ObjectUpdate};
use pc_platform::failure::Failure;

use crate::conflicts_store::{ConflictRecord, ConflictStatus, conflict_write};
use crate::hubspot_access::{access_mapping, required_access};
use crate::hubspot_fields::{FieldValues, contact_properties_of, deal_properties_of, lead_values};
use crate::links_store::{get_record, record_write};
use crate::webhook_events::field_patch_value;

/// A merged value as the API gives it, in the lead's terms; refused when
/// the lead would not take it.
pub fn merged_value(field: &str, value: &Value) -> Result<String, String> {
    let mut body = Map::new();
    body.insert(field.to_owned(), value.clone());
    LeadPatch::parse(&body).map_err(|e| match e {
        Failure::Invalid(details) if !details.is_empty() => details[0].message.clone(),
        other => other.to_string(),
    })?;
    Ok(match (field, value) {
        (_, Value::Null) => String::new(),
        ("dealAmount", Value::Number(n)) => parse_dollars(n)?.to_string(),
        (_, Value::String(s)) => s.trim().to_owned(),
        _ => return Err("has the wrong type".into()),
    })
}

fn crm_error(e: CrmError) -> Failure {
    match e {
        CrmError::RateLimited { retry_after } => Failure::RateLimited(retry_after.as_secs().max(1)),
        CrmError::Unauthorized => Failure::conflict(
            ErrorCode::HubspotUnhealthy,
            "HubSpot refused the connection; connect HubSpot again",
        ),
        CrmError::Refused(m) => Failure::conflict(ErrorCode::HubspotRefused, m),
        CrmError::Unavailable(m) => Failure::Unavailable(m),
    }
}

/// Resolves `conflict` on `value` (in the lead's terms).
pub async fn resolve(
    ctx: &AppContext,
    principal: &Principal,
    conflict: &ConflictRecord,
    resolution: &str,
    value: &str,
) -> Result<ConflictRecord, Failure> {
    let access = required_access(ctx, &conflict.partner_id).await?;
    let patch = LeadPatch::parse(
        &[(
            conflict.field.clone(),
            field_patch_value(&conflict.field, value).map_err(Failure::internal)?,
        )]
        .into_iter()
        .collect(),
    )?;
    let lead = leads_store::get(&*ctx.store, &conflict.lead_id)
        .await?
        .ok_or(Failure::NotFound("lead"))?;
    patch.apply(&lead, ctx.clock.now())?;
    let record = get_record(&*ctx.store, &conflict.lead_id)
        .await?
        .ok_or(Failure::NotFound("lead sync record"))?;

    if value != conflict.hubspot_value {
        let values: FieldValues = [(conflict.field.clone(), value.to_owned())]
            .into_iter()
            .collect();
        let contact = contact_properties_of(&values);
        let (object_type, id, properties) = if !contact.is_empty() {
            (ObjectType::Contacts, record.contact_id.clone(), contact)
        } else {
            let mapping = access_mapping(ctx, &conflict.partner_id, &access)
                .await
                .map_err(Failure::unavailable)?;
            (
                ObjectType::Deals,
                record.deal_id.clone(),
                deal_properties_of(&values, &mapping),
            )
        };
        let id = id.ok_or_else(|| {
            Failure::conflict(
                ErrorCode::HubspotNotLinked,
                "the lead has no HubSpot object yet",
            )
        })?;
        if properties.is_empty() {
            return Err(Failure::conflict(
                ErrorCode::StageNotMapped,
                "no pipeline stage is mapped to this status",
            ));
        }
        let outcome = ctx
            .crm
            .batch_update(
                &access.token,
                object_type,
                &[ObjectUpdate { id, properties }],
            )
            .await
            .map_err(crm_error)?;
        if let Some(failure) = outcome.failures.first() {
            return Err(Failure::conflict(
                ErrorCode::HubspotRefused,
                failure.message.clone(),
            ));
        }
    }

    let now = ctx.clock.now();
    let mut resolved = conflict.clone();
    resolved.status = ConflictStatus::Resolved;
    resolved.resolution = Some(resolution.to_owned());
    resolved.resolved_value = Some(value.to_owned());
    resolved.resolved_at = Some(now);
    for _ in 0..5 {
        let lead = leads_store::get(&*ctx.store, &conflict.lead_id)
            .await?
            .ok_or(Failure::NotFound("lead"))?;
        let before = get_record(&*ctx.store, &conflict.lead_id)
            .await?
            .ok_or(Failure::NotFound("lead sync record"))?;
        let mut after = before.clone();
        after
            .synced
            .insert(conflict.field.clone(), value.to_owned());
        after.open_conflicts.remove(&conflict.field);
        let extra = vec![
            record_write(Some(&before), &after)?,
            conflict_write(&resolved, false)?,
        ];
        let outcome = if lead_values(&lead).get(&conflict.field).map(String::as_str) == Some(value)
        {
            ctx.store
                .transact(extra)
                .await
                .map_err(|e| {
                    if e.is_condition_failure() {
                        ChangeError::Write(LeadWriteError::Stale)
                    } else {
                        ChangeError::from(e)
                    }
                })
                .map(|_| Changed::Unchanged)
        } else {
            change_lead(ctx, Some(principal), &lead, &patch, extra).await
        };
        match outcome {
            Ok(_) => return Ok(resolved),
            Err(ChangeError::Write(LeadWriteError::Stale)) => continue,
            Err(ChangeError::Refused(e)) => return Err(e.into()),
            // HubSpot's value of a referred lead's `won` or amount: staff
            // alone may accept it.
            Err(ChangeError::StaffOnly(e)) => return Err(e.into()),
            Err(ChangeError::Write(e)) => {
                return Err(match e {
                    LeadWriteError::Store(s) => s.into(),
                    other => Failure::conflict(ErrorCode::StaleState, other.to_string()),
                });
            }
        }
    }
    Err(Failure::conflict(
        ErrorCode::StaleState,
        "the lead changed meanwhile, retry",
    ))
}
