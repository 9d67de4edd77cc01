//! What the portal shows: a referral (the lead as its referrer sees it,
//! without the platform's internal fields), a commission, and the
//! referrer's partner with its rank. Money is dollars with two decimals.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_accounts::partner_views::commission_percent;
use pc_accounts::partners_store::{PartnerKind, PartnerRecord, PartnerStatus};
use pc_leads::DealStatus;
use pc_leads::lead::{LeadRecord, NoteView, dollars};
use pc_leads::referral_commission::{CommissionRecord, CommissionStatus};
use pc_platform::time::timestamp;

use crate::rank::Rank;

fn money(cents: Option<i64>) -> Value {
    cents.map(dollars).unwrap_or(Value::Null)
}

/// A referred lead as its referrer sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferralLeadView {
    pub id: String,
    pub client_name: String,
    pub client_email: String,
    pub client_phone: Option<String>,
    pub service: String,
    /// The lead's pipeline status.
    pub status: DealStatus,
    #[schema(value_type = Option<f64>)]
    pub deal_amount: Value,
    /// Percent, as when the client was referred.
    #[schema(value_type = f64)]
    pub commission_rate: Value,
    /// Dollars, once the lead was won with an amount.
    #[schema(value_type = Option<f64>)]
    pub commission: Value,
    pub converted_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// On the single referral only: its notes, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteView>>,
    /// On the single referral only, once earned: `pending` or `paid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub commission_status: Option<CommissionStatus>,
}

impl ReferralLeadView {
    /// The view of a referred lead (`None` for a lead nobody referred).
    pub fn of(lead: &LeadRecord) -> Option<Self> {
        let referral = lead.referral.as_ref()?;
        Some(Self {
            id: lead.id.clone(),
            client_name: referral.client_name.clone(),
            client_email: lead.email.clone(),
            client_phone: lead.contact.phone.clone(),
            service: referral.service.clone(),
            status: lead.deal_status,
            deal_amount: money(lead.deal_amount_cents),
            commission_rate: commission_percent(referral.commission_rate_bps),
            commission: money(referral.commission_cents),
            converted_at: referral.converted_at.map(timestamp),
            created_at: timestamp(lead.created_at),
            updated_at: timestamp(lead.updated_at),
            notes: None,
            commission_status: None,
        })
    }

    pub fn to_row(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A commission as the referrer and staff see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommissionView {
    /// The referred lead's id (one commission per lead).
    pub id: String,
    pub lead_id: String,
    pub client_name: String,
    #[schema(value_type = f64)]
    pub deal_amount: Value,
    #[schema(value_type = f64)]
    pub commission_rate: Value,
    #[schema(value_type = f64)]
    pub amount: Value,
    #[schema(value_type = String)]
    pub status: CommissionStatus,
    pub earned_at: String,
    pub paid_at: Option<String>,
    pub payout_id: Option<String>,
}

impl From<&CommissionRecord> for CommissionView {
    fn from(c: &CommissionRecord) -> Self {
        Self {
            id: c.id.clone(),
            lead_id: c.lead_id.clone(),
            client_name: c.client_name.clone(),
            deal_amount: dollars(c.deal_amount_cents),
            commission_rate: commission_percent(c.commission_rate_bps),
            amount: dollars(c.amount_cents),
            status: c.status,
            earned_at: timestamp(c.earned_at),
            paid_at: c.paid_at.map(timestamp),
            payout_id: c.payout_id.clone(),
        }
    }
}

/// The referrer's partner on the dashboard.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalPartnerView {
    pub id: String,
    pub name: String,
    pub status: PartnerStatus,
    pub kind: PartnerKind,
    #[schema(value_type = Option<f64>)]
    pub commission_rate: Value,
    pub rank: Rank,
}

impl PortalPartnerView {
    pub fn of(partner: &PartnerRecord, converted_referrals: i64) -> Self {
        Self {
            id: partner.id.clone(),
            name: partner.name.clone(),
            status: partner.status,
            kind: partner.kind,
            commission_rate: partner
                .commission_rate_bps
                .map(commission_percent)
                .unwrap_or(Value::Null),
            rank: Rank::of(converted_referrals),
        }
    }
}
