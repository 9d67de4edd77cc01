//! A partner's HubSpot connection: the portal, the granted scopes, the
//! access and refresh tokens encrypted ([`crate::token_cipher`]), when the
//! access token expires, the partner's deal pipeline, and whether the
//! connection is healthy (a refused refresh makes it unhealthy until the
//! partner connects again). [`access_token`] is how every HubSpot call of
//! the system gets a usable token: decrypted, refreshed first when it
//! expires within five minutes.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Every change after the first write is conditional on `version`, so two
//! refreshes at once cannot store an older token over a newer one. A
//! portal connects to one partner at a time: the connection is stored in
//! one transaction with its portal's guard, which another partner holding
//! the portal makes fail; disconnecting releases it.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::AppContext;
use pc_platform::crm::{AccessToken, CrmError, OAuthTokens, RefreshToken};
use pc_platform::store::{Condition, StoreError, Write, from_item, retry_until_won, to_item};

use crate::error::ConnectionError;
pub use crate::keys::{EXPIRY_PARTITION, connection_key, portal_guard_key};
use crate::stage_mapping::MappedStage;
use crate::token_cipher::{Sealed, TokenCipher};

/// A token expiring sooner than this is refreshed before it is used.
const REFRESH_MARGIN_MINUTES: i64 = 5;

/// Held by nobody, or by `partner_id` already.
fn free_or_held_by(partner_id: &str) -> Condition {
    Condition::Or(vec![
        Condition::Missing("partnerId".into()),
        Condition::equals("partnerId", partner_id),
    ])
}

/// The write that claims `portal_id` for `partner_id`; it fails when
/// another partner holds the portal.
pub fn claim_portal(partner_id: &str, portal_id: &str) -> Write {
    let key = portal_guard_key(portal_id);
    let mut item = pc_platform::store::Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_portal_guard".into());
    item.insert("partnerId".into(), partner_id.into());
    item.insert("portalId".into(), portal_id.into());
    Write::Put {
        item,
        condition: Some(free_or_held_by(partner_id)),
    }
}

/// The write that releases `portal_id` if `partner_id` holds it (or
/// nobody does: a connection stored before the guards existed).
pub fn release_portal(partner_id: &str, portal_id: &str) -> Write {
    Write::Delete {
        key: portal_guard_key(portal_id),
        condition: Some(free_or_held_by(partner_id)),
    }
}

/// The stored connection (tokens sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    pub partner_id: String,
    pub portal_id: String,
    pub scopes: Vec<String>,
    pub access_token: Sealed,
    pub refresh_token: Sealed,
    pub expires_at: DateTime<Utc>,
    /// The deal pipeline the system created in the portal.
    pub pipeline_id: Option<String>,
    /// The stages the system created in that pipeline, each with the
    /// status it was made for: the mapping until the partner sets one.
    #[serde(default)]
    pub pipeline_stages: Vec<MappedStage>,
    pub healthy: bool,
    /// Why it is unhealthy (never a token).
    pub unhealthy_reason: Option<String>,
    /// When the partner's admins were told it is unhealthy: once per
    /// loss of health.
    pub unhealthy_notified_at: Option<DateTime<Utc>>,
    /// The user who connected it.
    pub connected_by: String,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

fn access_context(partner_id: &str) -> String {
    format!("hubspot:{partner_id}:access")
}

fn refresh_context(partner_id: &str) -> String {
    format!("hubspot:{partner_id}:refresh")
}

fn expiry_sort(expires_at: DateTime<Utc>, partner_id: &str) -> String {
    format!(
        "{}#{partner_id}",
        expires_at.to_rfc3339_opts(SecondsFormat::Millis, true)
    )
}

impl ConnectionRecord {
    /// A new healthy connection holding `tokens`, sealed.
    pub fn new(
        cipher: &TokenCipher,
        partner_id: &str,
        portal_id: String,
        scopes: Vec<String>,
        tokens: &OAuthTokens,
        connected_by: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            partner_id: partner_id.into(),
            portal_id,
            scopes,
            access_token: cipher.seal(tokens.access_token.expose(), &access_context(partner_id)),
            refresh_token: cipher.seal(tokens.refresh_token.expose(), &refresh_context(partner_id)),
            expires_at: now + Duration::seconds(tokens.expires_in_seconds),
            pipeline_id: None,
            pipeline_stages: Vec::new(),
            healthy: true,
            unhealthy_reason: None,
            unhealthy_notified_at: None,
            connected_by: connected_by.into(),
            connected_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn access_token(&self, cipher: &TokenCipher) -> Result<AccessToken, ConnectionError> {
        Ok(AccessToken::new(cipher.open(
            &self.access_token,
            &access_context(&self.partner_id),
        )?))
    }

    pub fn refresh_token(&self, cipher: &TokenCipher) -> Result<RefreshToken, ConnectionError> {
        Ok(RefreshToken::new(cipher.open(
            &self.refresh_token,
            &refresh_context(&self.partner_id),
        )?))
    }

    /// The item, keyed and indexed by expiry.
    pub fn item(&self) -> Result<pc_platform::store::Item, StoreError> {
        let key = connection_key(&self.partner_id);
        let mut item = to_item(self)?;
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "hubspot_connection".into());
        item.insert("gsi1pk".into(), EXPIRY_PARTITION.into());
        item.insert(
            "gsi1sk".into(),
            expiry_sort(self.expires_at, &self.partner_id).into(),
        );
        Ok(item)
    }

    /// The write storing this record as the next version of `previous`.
    pub fn replace(&self, previous_version: i64) -> Result<Write, StoreError> {
        let mut next = self.clone();
        next.version = previous_version + 1;
        Ok(Write::Put {
            item: next.item()?,
            condition: Some(Condition::equals("version", previous_version)),
        })
    }
}

/// The partner's connection, if any.
pub async fn load(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<Option<ConnectionRecord>, ConnectionError> {
    match ctx.store.get(&connection_key(partner_id)).await? {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}

/// What a HubSpot call on a partner's behalf needs.
#[derive(Clone, Debug)]
pub struct PartnerAccess {
    /// Redacted when printed.
    pub token: AccessToken,
    pub portal_id: String,
    /// The partner's deal pipeline, once created.
    pub pipeline_id: Option<String>,
    /// The stages the system created in it, with their statuses.
    pub pipeline_stages: Vec<MappedStage>,
}

/// A usable access token for the partner: decrypted, refreshed first when
/// it expires within five minutes. A connection HubSpot refused to
/// refresh is [`ConnectionError::Unhealthy`] until the partner connects
/// again.
pub async fn access_token(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<PartnerAccess, ConnectionError> {
    let mut record = load(ctx, partner_id)
        .await?
        .ok_or(ConnectionError::NotConnected)?;
    let cipher =
        TokenCipher::opening(&ctx.config, [&record.access_token, &record.refresh_token]).await?;
    if !record.healthy {
        return Err(ConnectionError::Unhealthy);
    }
    let now = ctx.clock.now();
    if record.expires_at <= now + Duration::minutes(REFRESH_MARGIN_MINUTES) {
        record = refresh(ctx, &cipher, record).await?;
    }
    Ok(PartnerAccess {
        token: record.access_token(&cipher)?,
        portal_id: record.portal_id.clone(),
        pipeline_id: record.pipeline_id.clone(),
        pipeline_stages: record.pipeline_stages.clone(),
    })
}

/// Refreshes the record's tokens at HubSpot and stores them. A refused
/// refresh token marks the connection unhealthy and answers
/// [`ConnectionError::Unhealthy`]; when another refresh stored first, its
/// record is answered.
pub async fn refresh(
    ctx: &AppContext,
    cipher: &TokenCipher,
    record: ConnectionRecord,
) -> Result<ConnectionRecord, ConnectionError> {
    retry_until_won(|n| {
        let given = &record;
        async move {
            if n == 0 {
                return refresh_once(ctx, cipher, given).await;
            }
            // Lost a race: another refresh (or a disconnect) stored first.
            let current = load(ctx, &given.partner_id)
                .await?
                .ok_or(ConnectionError::NotConnected)?;
            if !current.healthy {
                return Err(ConnectionError::Unhealthy);
            }
            let now = ctx.clock.now();
            if current.expires_at > now + Duration::minutes(REFRESH_MARGIN_MINUTES) {
                return Ok(Some(current));
            }
            refresh_once(ctx, cipher, &current).await
        }
    })
    .await
}

/// One refresh of `record`'s tokens, stored conditional on its version;
/// `None` when the record changed meanwhile.
async fn refresh_once(
    ctx: &AppContext,
    cipher: &TokenCipher,
    record: &ConnectionRecord,
) -> Result<Option<ConnectionRecord>, ConnectionError> {
    let refresh_token = record.refresh_token(cipher)?;
    let tokens = match ctx.crm.refresh(&refresh_token).await {
        Ok(tokens) => tokens,
        Err(CrmError::Unauthorized) => {
            mark_unhealthy(ctx, &record.partner_id, "HubSpot refused the refresh token").await?;
            return Err(ConnectionError::Unhealthy);
        }
        Err(e) => return Err(e.into()),
    };
    let now = ctx.clock.now();
    let mut next = record.clone();
    next.access_token = cipher.seal(
        tokens.access_token.expose(),
        &access_context(&record.partner_id),
    );
    next.refresh_token = cipher.seal(
        tokens.refresh_token.expose(),
        &refresh_context(&record.partner_id),
    );
    next.expires_at = now + Duration::seconds(tokens.expires_in_seconds);
    next.updated_at = now;
    store_if_unchanged(ctx, record, next).await
}

/// Stores `next` in place of `record`, conditional on `record`'s version;
/// `None` when the record changed meanwhile.
async fn store_if_unchanged(
    ctx: &AppContext,
    record: &ConnectionRecord,
    mut next: ConnectionRecord,
) -> Result<Option<ConnectionRecord>, ConnectionError> {
    match ctx
        .store
        .transact(vec![next.replace(record.version)?])
        .await
    {
        Ok(()) => {
            next.version = record.version + 1;
            Ok(Some(next))
        }
        Err(e) if e.lost_race() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Marks the connection unhealthy (HubSpot refuses its tokens); answers
/// whether it was healthy until now. The tokens stay, sealed, until the
/// partner connects again or disconnects.
pub async fn mark_unhealthy(
    ctx: &AppContext,
    partner_id: &str,
    reason: &str,
) -> Result<bool, ConnectionError> {
    retry_until_won(|_| async {
        let Some(record) = load(ctx, partner_id).await? else {
            return Err(ConnectionError::NotConnected);
        };
        if !record.healthy {
            return Ok(Some(false));
        }
        let mut next = record.clone();
        next.healthy = false;
        next.unhealthy_reason = Some(reason.into());
        next.updated_at = ctx.clock.now();
        match ctx
            .store
            .transact(vec![next.replace(record.version)?])
            .await
        {
            Ok(()) => {
                tracing::warn!(partner = %partner_id, reason, "HubSpot connection is unhealthy");
                Ok(Some(true))
            }
            Err(e) if e.lost_race() => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// Applies `change` to the stored connection, conditional on its version,
/// re-reading after a lost race; answers the stored record.
pub async fn update(
    ctx: &AppContext,
    partner_id: &str,
    change: impl Fn(&mut ConnectionRecord),
) -> Result<ConnectionRecord, ConnectionError> {
    retry_until_won(|_| async {
        let Some(record) = load(ctx, partner_id).await? else {
            return Err(ConnectionError::NotConnected);
        };
        let mut next = record.clone();
        change(&mut next);
        next.updated_at = ctx.clock.now();
        store_if_unchanged(ctx, &record, next).await
    })
    .await
}
