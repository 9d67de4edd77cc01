//! `hubspot-token-refresh` (every 30 minutes): refreshes the tokens of
//! every healthy connection whose access token expires within the next
//! hour, so sync and pipeline calls always find a fresh one. A refresh
//! HubSpot refuses marks the connection unhealthy; the partner's admins
//! are told once per loss of health (the `unhealthyNotifiedAt` mark and
//! the emails are written in one transaction).

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use pc_accounts::partners_store::get_partner;
use pc_accounts::users_store::list_users;
use pc_http::AppState;
use pc_http::functions::{JobError, JobReport};
use pc_http::identity::Role;
use pc_platform::AppContext;
use pc_platform::email::{self, EmailJob, data};
use pc_platform::outbox::Outbox;
use pc_platform::store::{Index, Query, SortKey, StoreError, from_item};

use crate::connection::{self, ConnectionRecord, EXPIRY_PARTITION};
use crate::error::ConnectionError;
use crate::token_cipher::TokenCipher;

/// Tokens expiring sooner than this are refreshed.
const HORIZON_MINUTES: i64 = 60;

/// The connections whose access token expires before `until`.
async fn expiring(
    ctx: &AppContext,
    until: DateTime<Utc>,
) -> Result<Vec<ConnectionRecord>, StoreError> {
    let bound = until.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut query = Query::partition(Index::Gsi1, EXPIRY_PARTITION).sk(SortKey::Lt(bound));
    let mut found = Vec::new();
    loop {
        let page = ctx.store.query(&query).await?;
        for item in page.items {
            found.push(from_item(item)?);
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(found),
        }
    }
}

pub async fn run_token_refresh(ctx: &AppState, at: DateTime<Utc>) -> Result<JobReport, JobError> {
    let due = expiring(ctx, at + Duration::minutes(HORIZON_MINUTES))
        .await
        .map_err(JobError::new)?;
    let sealed = due.iter().flat_map(|r| [&r.access_token, &r.refresh_token]);
    let cipher = TokenCipher::opening(&ctx.config, sealed)
        .await
        .map_err(JobError::new)?;
    let (mut refreshed, mut unhealthy, mut failed, mut notified) = (0, 0, 0, 0);
    for record in due {
        let partner_id = record.partner_id.clone();
        if record.healthy {
            match connection::refresh(ctx, &cipher, record).await {
                Ok(_) => {
                    refreshed += 1;
                    continue;
                }
                Err(ConnectionError::Unhealthy) => unhealthy += 1,
                Err(e) => {
                    // Rate limits and outages: the next run, still before
                    // the token expires, tries again.
                    tracing::warn!(partner = %partner_id, error = %e, "HubSpot token refresh failed");
                    failed += 1;
                    continue;
                }
            }
        }
        match notify_admins_once(ctx, &partner_id).await {
            Ok(true) => notified += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(partner = %partner_id, error = %e, "telling the admins failed");
                failed += 1;
            }
        }
    }
    Ok(JobReport::default()
        .count("refreshed", refreshed)
        .count("unhealthy", unhealthy)
        .count("failed", failed)
        .count("notified", notified))
}

/// Emails the partner's active admins that HubSpot refused the connection,
/// unless they were told since it became unhealthy; answers whether they
/// were told now.
pub async fn notify_admins_once(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<bool, ConnectionError> {
    let Some(record) = connection::load(ctx, partner_id).await? else {
        return Ok(false);
    };
    if record.healthy || record.unhealthy_notified_at.is_some() {
        return Ok(false);
    }
    let partner_name = get_partner(&*ctx.store, partner_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let admins: Vec<_> = list_users(&*ctx.store, Some(partner_id))
        .await?
        .into_iter()
        .filter(|u| u.can_sign_in() && (u.role >= Role::Admin || u.is_partner_owner))
        .collect();
    let now = ctx.clock.now();
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    let mark = format!("{}", record.version);
    for admin in &admins {
        let job = EmailJob::new(
            format!("hubspot-disconnected:{partner_id}:{mark}:{}", admin.id),
            admin.email.clone(),
            &data::HubspotDisconnected {
                name: admin.name.clone(),
                partner_name: partner_name.clone(),
                link: format!("{}/settings/integrations/hubspot", ctx.config.client_url),
            },
        );
        email::add_to_outbox(&mut outbox, &job)?;
    }
    let mut next = record.clone();
    next.unhealthy_notified_at = Some(now);
    next.updated_at = now;
    let mut writes = vec![next.replace(record.version)?];
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(true),
        // Another run marked it first and sent the emails.
        Err(e) if e.lost_race() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
