//! The commission a referral partner earns on a lead it referred, and its
//! referral counters. The leads capability owns these keys because a
//! commission is earned in the transaction that wins the lead
//! ([`on_lead_change`], called by every lead update); the referral portal
//! (`pc_referrals`) reads and pays them through the functions here.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Access patterns: a referrer's commissions (query pk `REFERRER#<pid>`,
//! sk begins with `COMMISSION#`); its counters (get `STATS`); one
//! commission (get by referrer and lead).
//!
//! Rules:
//! - A commission is earned once per lead, the first time the lead is
//!   `won` with a deal amount: `amount = dealAmount × rate`, in integer
//!   cents rounded half up, at the rate copied onto the lead when it was
//!   referred. The lead records it (`referral.commissionCents`), the
//!   commission item is put only if absent, and `convertedReferrals`,
//!   `earnedCents` and `pendingCents` are added to, all in the lead's
//!   own version-conditional transaction: concurrent changes of one lead
//!   earn it once, concurrent conversions of many leads all count.
//! - A commission, once earned, stands: a lead that leaves `won` (a sync
//!   correcting it) or whose amount changes afterwards keeps its pending
//!   or paid commission, and winning it again earns nothing more. Undoing
//!   money already promised to a referrer is a finance decision, not a
//!   pipeline side effect.
//! - Only platform staff set `won` or the deal amount of a referred lead
//!   ([`check_change`], run by every lead update's writes): the referrer
//!   is paid from them, so its own users, API tokens, imports and HubSpot
//!   portal may not. Any other writer's change of those fields is refused
//!   whole, before anything is written.
//! - Paying moves a commission from `pending` to `paid` on condition that
//!   it is pending, and moves its amount from `pendingCents` to
//!   `paidCents` in the same transaction ([`payout_writes`]).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::store::{
    Condition, Index, Query, SortKey, Store, StoreError, Update, Write, from_item, to_item,
};
use pc_platform::time::{serde_millis, timestamp};

use pc_http::identity::Principal;

use crate::deal_status::DealStatus;
pub use crate::keys::commission_key;
use crate::keys::{COMMISSION_PREFIX, referral_counters_key, referrer_partition};
use crate::lead::LeadRecord;
use pc_platform::store::pages::query_all;

/// Who referred a lead and on what terms, stored on the lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadReferral {
    /// The referral partner (the lead's partner).
    pub referrer_id: String,
    /// The client's full name as the referrer gave it.
    pub client_name: String,
    /// The service the client is referred for.
    pub service: String,
    /// The referrer's rate when the lead was referred, in basis points.
    pub commission_rate_bps: i64,
    /// The commission earned, once the lead was won with an amount.
    #[serde(default)]
    pub commission_cents: Option<i64>,
    #[serde(default, with = "serde_millis::option")]
    pub converted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommissionStatus {
    Pending,
    Paid,
}

impl CommissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommissionStatus::Pending => "pending",
            CommissionStatus::Paid => "paid",
        }
    }
}

/// A commission as stored at `REFERRER#<pid>` / `COMMISSION#<leadId>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionRecord {
    /// The lead's id: one commission per lead.
    pub id: String,
    pub referrer_id: String,
    pub lead_id: String,
    pub client_name: String,
    pub deal_amount_cents: i64,
    pub commission_rate_bps: i64,
    pub amount_cents: i64,
    pub status: CommissionStatus,
    #[serde(with = "serde_millis")]
    pub earned_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub payout_id: Option<String>,
}

/// A referrer's counters, as stored at `REFERRER#<pid>` / `STATS`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferralCounters {
    pub total_referrals: i64,
    pub converted_referrals: i64,
    pub earned_cents: i64,
    pub pending_cents: i64,
    pub paid_cents: i64,
}

/// `deal × rate` in cents, rounded half up, without floating point.
pub fn commission_cents(deal_amount_cents: i64, rate_bps: i64) -> i64 {
    let exact = i128::from(deal_amount_cents) * i128::from(rate_bps);
    i64::try_from((exact + 5_000) / 10_000).unwrap_or(i64::MAX)
}

fn counters_update(referrer_id: &str, changes: &[(&str, i64)]) -> Update {
    let mut update = Update::new(referral_counters_key(referrer_id))
        .set("entity", "referral_counters")
        .set("referrerId", referrer_id);
    for (counter, by) in changes {
        update = update.add(counter, *by);
    }
    update
}

/// The write that counts a new referral, for the referred lead's creation
/// transaction.
pub fn count_referral(referrer_id: &str) -> Write {
    Write::Update(counters_update(referrer_id, &[("totalReferrals", 1)]))
}

/// Who asks for a lead change, as far as the commission rule cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangedBy {
    /// Platform staff (an owner, or an admin without a partner), directly
    /// or through a job one of them started.
    Staff,
    /// The lead's partner: one of its users or API tokens, or an import
    /// one of its users started.
    Partner,
    /// An integration acting on no one's say at the time: the partner's
    /// HubSpot portal, ChiliPiper's meetings.
    Integration,
}

impl ChangedBy {
    /// The authority of a change asked by `actor` (`None`: an integration).
    pub fn of(actor: Option<&Principal>) -> Self {
        match actor {
            Some(p) if p.is_staff() => ChangedBy::Staff,
            Some(_) => ChangedBy::Partner,
            None => ChangedBy::Integration,
        }
    }
}

/// A change of a referred lead's commission fields by someone other than
/// staff; nothing of the change was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "only platform staff may set {} on a referred lead: it earns its referrer a commission",
    .fields.join(" and ")
)]
pub struct StaffOnly {
    /// The lead fields the change would have set: `dealStatus` (to
    /// `won`), `dealAmount`.
    pub fields: Vec<&'static str>,
}

/// The commission fields `after` sets on a referred lead: moving it into
/// `won` and any change of its deal amount. Empty for a lead nobody
/// referred.
pub fn commission_fields_changed(before: &LeadRecord, after: &LeadRecord) -> Vec<&'static str> {
    if before.referral.is_none() && after.referral.is_none() {
        return Vec::new();
    }
    let mut fields = Vec::new();
    if after.deal_status == DealStatus::Won && before.deal_status != DealStatus::Won {
        fields.push("dealStatus");
    }
    if after.deal_amount_cents != before.deal_amount_cents {
        fields.push("dealAmount");
    }
    fields
}

/// Refuses a change of a referred lead's commission fields unless staff
/// asks for it: whoever sets `won` and the amount decides what the
/// referrer is paid, so the referrer may not.
pub fn check_change(
    before: &LeadRecord,
    after: &LeadRecord,
    by: ChangedBy,
) -> Result<(), StaffOnly> {
    let fields = commission_fields_changed(before, after);
    if fields.is_empty() || by == ChangedBy::Staff {
        Ok(())
    } else {
        Err(StaffOnly { fields })
    }
}

/// Whether `lead` earns its commission now: a referred lead, won, with a
/// deal amount, that has not earned one yet.
fn earns_now(lead: &LeadRecord) -> Option<(&LeadReferral, i64)> {
    let referral = lead.referral.as_ref()?;
    let amount = lead.deal_amount_cents?;
    (lead.deal_status == DealStatus::Won && referral.commission_cents.is_none())
        .then_some((referral, amount))
}

/// The lead to store in place of `before` and the writes its commission
/// adds to the change's transaction. When `after` earns its commission,
/// the lead comes back with the commission recorded on it, and the
/// writes put the commission (only if the lead has none) and add to the
/// referrer's counters; otherwise `after` as it is and no writes.
pub fn on_lead_change<'a>(
    before: &LeadRecord,
    after: &'a LeadRecord,
) -> Result<(Cow<'a, LeadRecord>, Vec<Write>), StoreError> {
    // The lead read carries what it earned already, whatever the writer
    // put in `after`: a commission is never recorded twice.
    let earned_before = before
        .referral
        .as_ref()
        .filter(|r| r.commission_cents.is_some());
    let mut lead = Cow::Borrowed(after);
    if let Some(earned) = earned_before
        && after
            .referral
            .as_ref()
            .is_some_and(|r| r.commission_cents.is_none())
        && let Some(carried) = lead.to_mut().referral.as_mut()
    {
        carried.commission_cents = earned.commission_cents;
        carried.converted_at = earned.converted_at;
    }
    let Some((referral, deal)) = earns_now(&lead).map(|(r, d)| (r.clone(), d)) else {
        return Ok((lead, Vec::new()));
    };
    let commission = CommissionRecord {
        id: lead.id.clone(),
        referrer_id: referral.referrer_id.clone(),
        lead_id: lead.id.clone(),
        client_name: referral.client_name.clone(),
        deal_amount_cents: deal,
        commission_rate_bps: referral.commission_rate_bps,
        amount_cents: commission_cents(deal, referral.commission_rate_bps),
        status: CommissionStatus::Pending,
        earned_at: lead.updated_at,
        paid_at: None,
        payout_id: None,
    };
    let writes = vec![
        Write::put_new(commission_item(&commission)?),
        Write::Update(counters_update(
            &commission.referrer_id,
            &[
                ("convertedReferrals", 1),
                ("earnedCents", commission.amount_cents),
                ("pendingCents", commission.amount_cents),
            ],
        )),
    ];
    if let Some(recorded) = lead.to_mut().referral.as_mut() {
        recorded.commission_cents = Some(commission.amount_cents);
        recorded.converted_at = Some(commission.earned_at);
    }
    Ok((lead, writes))
}

fn commission_item(commission: &CommissionRecord) -> Result<pc_platform::store::Item, StoreError> {
    let mut item = to_item(commission)?;
    let key = commission_key(&commission.referrer_id, &commission.lead_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "referral_commission".into());
    Ok(item)
}

/// The writes that pay `commissions` (all of one referrer, each pending):
/// each moves to `paid` on condition that it is still pending, and their
/// sum moves from `pendingCents` to `paidCents`. The commission writes
/// come first, in the order given, so a failed condition names its
/// commission by position.
pub fn payout_writes(
    referrer_id: &str,
    commissions: &[CommissionRecord],
    payout_id: &str,
    now: DateTime<Utc>,
) -> Vec<Write> {
    let mut writes: Vec<Write> = commissions
        .iter()
        .map(|c| {
            Write::Update(
                Update::new(commission_key(referrer_id, &c.lead_id))
                    .set("status", CommissionStatus::Paid.as_str())
                    .set("paidAt", timestamp(now))
                    .set("payoutId", payout_id)
                    .when(Condition::equals(
                        "status",
                        CommissionStatus::Pending.as_str(),
                    )),
            )
        })
        .collect();
    let sum: i64 = commissions.iter().map(|c| c.amount_cents).sum();
    writes.push(Write::Update(counters_update(
        referrer_id,
        &[("pendingCents", -sum), ("paidCents", sum)],
    )));
    writes
}

/// The referrer's counters (zeros before its first referral).
pub async fn counters(
    store: &dyn Store,
    referrer_id: &str,
) -> Result<ReferralCounters, StoreError> {
    Ok(store
        .get_as(&referral_counters_key(referrer_id))
        .await?
        .unwrap_or_default())
}

/// One commission of the referrer, by lead id.
pub async fn get_commission(
    store: &dyn Store,
    referrer_id: &str,
    lead_id: &str,
) -> Result<Option<CommissionRecord>, StoreError> {
    store.get_as(&commission_key(referrer_id, lead_id)).await
}

/// Every commission of the referrer, newest lead first.
pub async fn commissions(
    store: &dyn Store,
    referrer_id: &str,
) -> Result<Vec<CommissionRecord>, StoreError> {
    let query = Query::partition(Index::Table, referrer_partition(referrer_id))
        .sk(SortKey::BeginsWith(COMMISSION_PREFIX.into()))
        .descending();
    query_all(store, query, usize::MAX)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal_status::LeadSource;
    use crate::lead::LeadEmail;

    fn referred(status: DealStatus, amount: Option<i64>) -> LeadRecord {
        let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut lead = LeadRecord::new(
            "L1".into(),
            "R1".into(),
            LeadEmail::parse("c@x.io").unwrap(),
            LeadSource::PartnerReferral,
            now,
        );
        lead.deal_status = status;
        lead.deal_amount_cents = amount;
        lead.referral = Some(LeadReferral {
            referrer_id: "R1".into(),
            client_name: "Cleo Client".into(),
            service: "SEO".into(),
            commission_rate_bps: 1250,
            commission_cents: None,
            converted_at: None,
        });
        lead
    }

    #[test]
    fn commissions_round_half_up_in_cents() {
        assert_eq!(commission_cents(100_000, 1000), 10_000);
        assert_eq!(commission_cents(12_345, 1250), 1543); // 1543.125
        assert_eq!(commission_cents(4, 1250), 1); // 0.5 rounds up
        assert_eq!(commission_cents(3, 1250), 0);
    }

    #[test]
    fn winning_with_an_amount_earns_once() {
        let before = referred(DealStatus::InTouch, Some(100_000));
        let after = referred(DealStatus::Won, Some(100_000));
        let (stored, writes) = on_lead_change(&before, &after).unwrap();
        assert_eq!(writes.len(), 2);
        assert_eq!(
            stored.referral.as_ref().unwrap().commission_cents,
            Some(12_500)
        );
        // Any later change of the won lead earns nothing more.
        let mut later = stored.clone().into_owned();
        later.deal_amount_cents = Some(200_000);
        let (_, again) = on_lead_change(&stored, &later).unwrap();
        assert!(again.is_empty());
        // Nor does a writer that lost the record of it on the way.
        let (carried, again) = on_lead_change(&stored, &after).unwrap();
        assert!(again.is_empty());
        assert_eq!(
            carried.referral.as_ref().unwrap().commission_cents,
            Some(12_500)
        );
    }

    #[test]
    fn only_staff_win_or_price_a_referred_lead() {
        let before = referred(DealStatus::InTouch, None);
        let won = referred(DealStatus::Won, Some(100_000));
        for by in [ChangedBy::Partner, ChangedBy::Integration] {
            assert_eq!(
                check_change(&before, &won, by),
                Err(StaffOnly {
                    fields: vec!["dealStatus", "dealAmount"]
                })
            );
            let priced = referred(DealStatus::InTouch, Some(5_000));
            assert_eq!(
                check_change(&before, &priced, by).unwrap_err().fields,
                vec!["dealAmount"]
            );
            // Other moves and fields stay the partner's to make.
            let lost = referred(DealStatus::LostNoPotential, None);
            assert_eq!(check_change(&before, &lost, by), Ok(()));
            let mut renamed = before.clone();
            renamed.contact.company = Some("Renamed".into());
            assert_eq!(check_change(&before, &renamed, by), Ok(()));
        }
        assert_eq!(check_change(&before, &won, ChangedBy::Staff), Ok(()));
        // A lead nobody referred earns no commission: anyone may win it.
        let mut plain_before = before.clone();
        plain_before.referral = None;
        let mut plain_won = won.clone();
        plain_won.referral = None;
        assert_eq!(
            check_change(&plain_before, &plain_won, ChangedBy::Partner),
            Ok(())
        );
    }

    #[test]
    fn no_commission_without_an_amount_or_a_referral() {
        let before = referred(DealStatus::InTouch, None);
        let (_, writes) = on_lead_change(&before, &referred(DealStatus::Won, None)).unwrap();
        assert!(writes.is_empty());
        let mut plain = referred(DealStatus::Won, Some(5_000));
        plain.referral = None;
        let (_, writes) = on_lead_change(&before, &plain).unwrap();
        assert!(writes.is_empty());
    }
}
