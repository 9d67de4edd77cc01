//! Invoicing one month again on demand: `POST /v1/billing/invoices/generate`
//! `{period}` sends every billable partner of the month to the billing
//! queue, exactly like the monthly run (a partner invoiced already keeps
//! its one invoice), and answers `{taskId}`;
//! `GET /v1/billing/invoices/generate/{taskId}` tells how many partners are
//! done.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A partner's mark is a plain put, so a redelivered message counts once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_accounts::billing_config::Month;
use pc_http::{ApiError, ApiResult, AppState, Principal, ValidJson};
use pc_platform::AppContext;
use pc_platform::store::{Index, Item, Key, Query, Write, from_item, to_item};
use pc_platform::time::serde_millis;

use crate::BillingError;
use crate::keys::{billing_task_done_key, billing_task_key, billing_task_partition};
use crate::monthly_invoices::{BillingMessage, billable_partners, month_of};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateRequest {
    /// `YYYY-MM`, a month that is over.
    pub period: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateStarted {
    pub task_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateTask {
    #[serde(rename = "taskId")]
    pub id: String,
    pub period: String,
    /// `running` until every partner sent is done, then `completed`.
    pub status: String,
    /// Billable partners sent to the billing queue.
    pub partners: u64,
    /// Partners whose month is invoiced (or had nothing to charge).
    pub processed: u64,
    pub requested_by: Option<String>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub requested_at: DateTime<Utc>,
}

fn keyed(mut item: Item, key: Key, entity: &str) -> Item {
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), entity.into());
    item
}

/// Marks the partner done for a generation task.
pub async fn mark_done(
    ctx: &AppContext,
    task_id: &str,
    partner_id: &str,
) -> Result<(), BillingError> {
    let key = billing_task_done_key(task_id, partner_id);
    ctx.store
        .put(keyed(Item::new(), key, "billing_task_done"), None)
        .await?;
    Ok(())
}

/// Invoices `period` again for every billable partner.
#[utoipa::path(post, path = "/v1/billing/invoices/generate", tag = "billing",
    request_body = GenerateRequest,
    responses((status = 202, body = GenerateStarted), (status = 400)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn generate_invoices(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<GenerateRequest>,
) -> ApiResult<(StatusCode, Json<GenerateStarted>)> {
    let period = Month::parse(&body.period)
        .ok_or_else(|| ApiError::invalid_field("period", "must be a month, YYYY-MM"))?;
    let now = ctx.clock.now();
    if period >= month_of(now) {
        return Err(ApiError::invalid_field(
            "period",
            "must be a month that is over (Los Angeles time)",
        ));
    }
    let partners = billable_partners(&ctx, &period).await?;
    let task = GenerateTask {
        id: ctx.ids.new_id(),
        period: period.as_str().to_owned(),
        status: "running".into(),
        partners: partners.len() as u64,
        processed: 0,
        requested_by: Some(principal.user_id.clone()),
        requested_at: now,
    };
    let item = keyed(to_item(&task)?, billing_task_key(&task.id), "billing_task");
    ctx.store.transact(vec![Write::put_new(item)]).await?;
    for partner_id in partners {
        let message = BillingMessage::Monthly {
            partner_id,
            period: task.period.clone(),
            task_id: Some(task.id.clone()),
        };
        ctx.queue.send_message(&message).await?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(GenerateStarted { task_id: task.id }),
    ))
}

/// How far a generation task is.
#[utoipa::path(get, path = "/v1/billing/invoices/generate/{taskId}", tag = "billing",
    params(("taskId" = String, Path)),
    responses((status = 200, body = GenerateTask), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn generate_status(
    State(ctx): State<AppState>,
    Path(task_id): Path<String>,
) -> ApiResult<Json<GenerateTask>> {
    let mut task: Option<GenerateTask> = None;
    let mut processed = 0;
    let mut query = Query::partition(Index::Table, billing_task_partition(&task_id));
    loop {
        let page = ctx.store.query(&query).await?;
        for item in page.items {
            match item.get("sk").and_then(|v| v.as_str()) {
                Some("TASK") => task = Some(from_item(item)?),
                _ => processed += 1,
            }
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
    }
    let mut task = task.ok_or_else(|| ApiError::not_found("task"))?;
    task.processed = processed;
    if processed >= task.partners {
        task.status = "completed".into();
    }
    Ok(Json(task))
}
