//! Partners in the single table.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | partner | `PARTNER#<id>` | `PROFILE` | `PARTNERS` / `<createdAt>#<id>` |
//! | slug guard | `SLUG#<slug>` | `SLUG` | |
//! | meeting-type guard | `MEETINGTYPE#<name>` | `MEETINGTYPE` | |
//! | billing config | `PARTNER#<id>` | `BILLING` | | (see `billing_config`)
//!
//! Guards hold `partnerId`; they are written in the same transaction as
//! the partner item, so a slug or meeting type belongs to one partner even
//! under concurrent requests.
//!
//! Profile changes write only the fields they change, conditional on the
//! partner's `version` (bumped by each), so concurrent edits of different
//! fields both survive and the guards always match the stored slug and
//! meeting types.
//!
//! The partner item also carries the counters the leads capability keeps
//! in the same transaction as each change (`totalLeads`,
//! `totalAppointments`, `lastAppointmentDate`), so the partners list is one
//! query.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_api::identity::{meeting_type_key, partner_key};
use pc_platform::store::{
    Condition, Cursor, Index, Item, Key, MAX_BATCH_GET, Query, Store, StoreError, Update, Write,
    from_item, to_item,
};
use pc_platform::time::{serde_millis, timestamp};

/// `pending_verification → pending_approval → active` (self-registration),
/// or `active` when staff create the partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerStatus {
    PendingVerification,
    PendingApproval,
    Active,
    Inactive,
}

/// What a partner is: an agency buys and works leads; a referral partner
/// refers clients and earns a commission on the deals they bring
/// (`pc_referrals`). Partners stored before kinds existed are agencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    #[default]
    Agency,
    Referral,
}

impl PartnerKind {
    pub const NAMES: [&'static str; 2] = ["agency", "referral"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agency" => Some(PartnerKind::Agency),
            "referral" => Some(PartnerKind::Referral),
            _ => None,
        }
    }
}

/// Which emails a partner's users get (all on by default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailPreferences {
    pub new_lead: bool,
    pub lead_reminder: bool,
    pub lost_lead_alert: bool,
    pub marketplace: bool,
}

impl Default for EmailPreferences {
    fn default() -> Self {
        Self {
            new_lead: true,
            lead_reminder: true,
            lost_lead_alert: true,
            marketplace: true,
        }
    }
}

/// Signed webhook deliveries of a partner's activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPreferences {
    pub url: String,
    /// A signing secret stored in clear by an earlier version; empty once
    /// sealed (see `crate::webhook_secret`). Never returned by the API.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// The signing secret, AES-256-GCM encrypted. Never returned by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub sealed_secret: Option<pc_platform::cipher::Sealed>,
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookPreferences {
    pub fn has_secret(&self) -> bool {
        self.sealed_secret.is_some() || !self.secret.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationPreferences {
    pub email: EmailPreferences,
    pub webhook: Option<WebhookPreferences>,
}

/// A partner as stored at `PARTNER#<id>` / `PROFILE`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRecord {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub website: Option<String>,
    pub status: PartnerStatus,
    /// Ideal customer profile, as a string→string map.
    #[serde(default)]
    pub icp: BTreeMap<String, String>,
    /// ChiliPiper meeting types routed to this partner.
    #[serde(default)]
    pub chili_meeting_types: Vec<String>,
    #[serde(default)]
    pub notification_preferences: NotificationPreferences,
    #[serde(default)]
    pub kind: PartnerKind,
    /// A referral partner's commission on a won deal, in basis points
    /// (hundredths of a percent: 12.5 % is 1250); none for an agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_rate_bps: Option<i64>,
    #[serde(default)]
    pub total_leads: i64,
    #[serde(default)]
    pub total_appointments: i64,
    #[serde(default, with = "serde_millis::option")]
    pub last_appointment_date: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl PartnerRecord {
    /// A new active partner with no ICP, meeting types or counters yet and
    /// the default notification preferences.
    pub fn new_active(id: &str, name: &str, slug: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            slug: slug.to_owned(),
            website: None,
            status: PartnerStatus::Active,
            icp: BTreeMap::new(),
            chili_meeting_types: Vec::new(),
            notification_preferences: NotificationPreferences::default(),
            kind: PartnerKind::Agency,
            commission_rate_bps: None,
            total_leads: 0,
            total_appointments: 0,
            last_appointment_date: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The stored item of a partner, with its key and index attributes.
pub fn partner_item(partner: &PartnerRecord) -> Result<Item, StoreError> {
    let mut item = to_item(partner)?;
    let key = partner_key(&partner.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "partner".into());
    item.insert("gsi1pk".into(), "PARTNERS".into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(partner.created_at), partner.id).into(),
    );
    Ok(item)
}

pub fn slug_guard_key(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

pub async fn get_partner(store: &dyn Store, id: &str) -> Result<Option<PartnerRecord>, StoreError> {
    store
        .get(&partner_key(id))
        .await?
        .map(from_item)
        .transpose()
}

/// The partner's email preferences (defaults when the partner is unknown).
pub async fn email_preferences(
    store: &dyn Store,
    partner_id: &str,
) -> Result<EmailPreferences, StoreError> {
    Ok(get_partner(store, partner_id)
        .await?
        .map(|p| p.notification_preferences.email)
        .unwrap_or_default())
}

fn guard(key: Key, entity: &str, partner_id: &str) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), entity.into());
    item.insert("partnerId".into(), partner_id.into());
    item
}

/// Claims `slug` for `partner_id` (fails if anyone holds it).
pub fn claim_slug(slug: &str, partner_id: &str) -> Write {
    Write::put_new(guard(slug_guard_key(slug), "slug_guard", partner_id))
}

/// When an unverified self-registration lets go of its email and slug.
#[derive(Clone, Copy, Debug)]
pub struct RegistrationExpiry {
    /// Epoch seconds: the guards are free to take from then on, and
    /// DynamoDB TTL removes the registration's items.
    pub expires_at: i64,
    /// Epoch seconds of the request.
    pub now: i64,
}

/// The attribute of a guard held by an unverified registration.
pub const REGISTRATION_EXPIRES_AT: &str = "registrationExpiresAt";

impl RegistrationExpiry {
    /// Marks an item of the registration as expiring.
    pub fn mark(&self, item: &mut Item) {
        item.insert(REGISTRATION_EXPIRES_AT.into(), self.expires_at.into());
        item.insert("ttl".into(), self.expires_at.into());
    }

    /// A guard may be put when free or held by an expired registration.
    pub fn claim_condition(&self) -> Condition {
        Condition::Or(vec![
            Condition::NotExists,
            Condition::LessThan(REGISTRATION_EXPIRES_AT.into(), self.now.into()),
        ])
    }
}

/// Releases `slug`, only if `partner_id` holds it.
pub fn release_slug(slug: &str, partner_id: &str) -> Write {
    Write::Delete {
        key: slug_guard_key(slug),
        condition: Some(Condition::equals("partnerId", partner_id)),
    }
}

/// Claims a ChiliPiper meeting type for `partner_id`.
pub fn claim_meeting_type(name: &str, partner_id: &str) -> Write {
    let mut item = guard(meeting_type_key(name), "meeting_type_guard", partner_id);
    item.insert("name".into(), name.into());
    Write::put_new(item)
}

/// Releases a meeting type, only if `partner_id` holds it.
pub fn release_meeting_type(name: &str, partner_id: &str) -> Write {
    Write::Delete {
        key: meeting_type_key(name),
        condition: Some(Condition::equals("partnerId", partner_id)),
    }
}

/// Why a partner could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreatePartnerError {
    #[error("the slug is taken")]
    SlugTaken,
    #[error("a meeting type belongs to another partner")]
    MeetingTypeTaken,
    /// The caller's own write number `n` (e.g. a user's email guard) failed.
    #[error("write {0} of the caller failed its condition")]
    ExtraFailed(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates `partner` with its guards and the caller's `extra` writes in one
/// transaction. With `fixed_slug` the partner's slug must be free; otherwise
/// it is the base of candidates `slug`, `slug-2`, `slug-3`... and the first
/// free one is taken (each try is one conditional transaction).
pub async fn create_partner(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    fixed_slug: bool,
    extra: Vec<Write>,
) -> Result<(), CreatePartnerError> {
    create_partner_with(store, partner, fixed_slug, extra, None).await
}

/// [`create_partner`] for a self-registration: the partner item and the
/// slug guard expire with `expiry` unless verified, and a slug held by an
/// expired registration is taken over.
pub async fn create_registered_partner(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    extra: Vec<Write>,
    expiry: RegistrationExpiry,
) -> Result<(), CreatePartnerError> {
    create_partner_with(store, partner, false, extra, Some(expiry)).await
}

async fn create_partner_with(
    store: &dyn Store,
    partner: &mut PartnerRecord,
    fixed_slug: bool,
    extra: Vec<Write>,
    expiry: Option<RegistrationExpiry>,
) -> Result<(), CreatePartnerError> {
    let base = crate::slug::Slug::from_name(&partner.slug);
    let base = crate::slug::Slug::parse(&partner.slug).unwrap_or(base);
    // Numbered candidates first, then random ones: the loop ends with a
    // free slug however many partners share a name.
    let tries = if fixed_slug {
        1
    } else {
        crate::slug::NUMBERED_CANDIDATES + 20
    };
    let mut conflicts_left = 5;
    let mut n = 0;
    while n < tries {
        n += 1;
        partner.slug = base.candidate(n).as_str().to_owned();
        let (slug_claim, partner_put) = match expiry {
            None => (
                claim_slug(&partner.slug, &partner.id),
                Write::put_new(partner_item(partner)?),
            ),
            Some(expiry) => {
                let mut guard_item =
                    guard(slug_guard_key(&partner.slug), "slug_guard", &partner.id);
                expiry.mark(&mut guard_item);
                let mut item = partner_item(partner)?;
                item.insert("ttl".into(), expiry.expires_at.into());
                (
                    Write::Put {
                        item: guard_item,
                        condition: Some(expiry.claim_condition()),
                    },
                    Write::put_new(item),
                )
            }
        };
        let mut writes = vec![slug_claim, partner_put];
        let types_from = writes.len();
        writes.extend(
            partner
                .chili_meeting_types
                .iter()
                .map(|t| claim_meeting_type(t, &partner.id)),
        );
        let extra_from = writes.len();
        let extra_count = extra.len();
        writes.extend(extra.iter().cloned());
        match store.transact(writes).await {
            Ok(()) => return Ok(()),
            // DynamoDB cancels transactions that race on the same items;
            // trying the same candidate again decides who won.
            Err(StoreError::TransactionConflict) if conflicts_left > 0 => {
                conflicts_left -= 1;
                n -= 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) if e.is_condition_failure() => {
                if let Some(i) = (0..extra_count).find(|i| e.failed_at(extra_from + i)) {
                    return Err(CreatePartnerError::ExtraFailed(i));
                }
                if (types_from..extra_from).any(|i| e.failed_at(i)) {
                    return Err(CreatePartnerError::MeetingTypeTaken);
                }
                if !e.failed_at(0) || fixed_slug {
                    return Err(CreatePartnerError::SlugTaken);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CreatePartnerError::SlugTaken)
}

/// Every partner, in creation order (one query, paged through).
pub async fn list_partners(store: &dyn Store) -> Result<Vec<PartnerRecord>, StoreError> {
    let mut partners = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = partners_page(store, None, cursor).await?;
        partners.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(partners),
        }
    }
}

/// One page of partners in creation order, for jobs that walk every
/// partner without holding them all: up to `limit` (all when `None`)
/// after `cursor`, and the cursor of the next page.
pub async fn partners_page(
    store: &dyn Store,
    limit: Option<usize>,
    cursor: Option<Cursor>,
) -> Result<(Vec<PartnerRecord>, Option<Cursor>), StoreError> {
    let mut query = Query::partition(Index::Gsi1, "PARTNERS").after(cursor);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let page = store.query(&query).await?;
    let partners = page
        .items
        .into_iter()
        .filter(|item| item.get("entity").and_then(|e| e.as_str()) == Some("partner"))
        .map(from_item)
        .collect::<Result<_, _>>()?;
    Ok((partners, page.cursor))
}

/// A partner by id or, failing that, by slug (one batch, plus one get
/// when it is a slug).
pub async fn find_partner(
    store: &dyn Store,
    id_or_slug: &str,
) -> Result<Option<PartnerRecord>, StoreError> {
    let id_key = partner_key(id_or_slug);
    let slug_key = slug_guard_key(&id_or_slug.to_lowercase());
    let items = store.batch_get(&[id_key.clone(), slug_key]).await?;
    let mut by_slug = None;
    for item in items {
        match item.get("entity").and_then(|v| v.as_str()) {
            Some("partner") => return Ok(Some(from_item(item)?)),
            Some("slug_guard") => {
                by_slug = item
                    .get("partnerId")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            }
            _ => {}
        }
    }
    match by_slug {
        Some(id) => get_partner(store, &id).await,
        None => Ok(None),
    }
}

/// A partner with the `version` its profile writes are conditional on
/// (0 for a partner never changed since it was created).
pub async fn get_partner_versioned(
    store: &dyn Store,
    id: &str,
) -> Result<Option<(PartnerRecord, i64)>, StoreError> {
    let Some(item) = store.get(&partner_key(id)).await? else {
        return Ok(None);
    };
    let version = item
        .get("version")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    Ok(Some((from_item(item)?, version)))
}

/// Holds while the partner's profile is still at `version`. The counters
/// the leads capability adds to the same item never move the version, so
/// they never make a profile change stale.
pub fn version_condition(version: i64) -> Condition {
    if version == 0 {
        Condition::Exists.and(Condition::Or(vec![
            Condition::missing("version"),
            Condition::equals("version", 0),
        ]))
    } else {
        Condition::equals("version", version)
    }
}

/// An update of the partner's own fields that never touches the counters
/// the leads capability keeps on the same item.
pub fn profile_update(partner_id: &str) -> Update {
    Update::new(partner_key(partner_id))
}

/// The names of the partners of `ids` (`{id → name}`; unknown ids are
/// left out), read in batches.
#[tracing::instrument(skip_all)]
pub async fn partner_names(
    store: &dyn Store,
    ids: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut unique: Vec<String> = ids.into_iter().collect();
    unique.sort();
    unique.dedup();
    let mut names = BTreeMap::new();
    for chunk in unique.chunks(MAX_BATCH_GET) {
        let keys: Vec<_> = chunk.iter().map(|id| partner_key(id)).collect();
        for item in store.batch_get(&keys).await? {
            let partner: PartnerRecord = from_item(item)?;
            names.insert(partner.id, partner.name);
        }
    }
    Ok(names)
}

/// The write that counts a new lead on its partner (`totalLeads + 1`),
/// for the lead's creation transaction; it fails when the partner does
/// not exist, so no lead is created for an unknown partner.
pub fn count_new_lead(partner_id: &str) -> Write {
    Write::Update(
        Update::new(partner_key(partner_id))
            .add("totalLeads", 1)
            .when(Condition::Exists),
    )
}
