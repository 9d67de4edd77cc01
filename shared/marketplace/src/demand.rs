//! The demand for a lead: how many active partners, other than its
//! seller, have an ICP the lead matches at [`NOTIFY_MIN_MATCH`] or more —
//! the same partners its listing notices go to. The ICPs are read once
//! (one paged walk of the partners) and then scored against any number of
//! leads, so a batch of inventory leads costs one walk, not one per lead.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use pc_accounts::partners_store::{PartnerPages, PartnerStatus};
use pc_leads::lead::LeadRecord;
use pc_platform::store::{Store, StoreError};

use crate::icp_match::{LeadProfile, icp_match};
use crate::listing_notices::NOTIFY_MIN_MATCH;
use crate::market_views::lead_profile;
use crate::pricing::{PriceInputs, PriceSuggestion, suggest_price};

/// The ICPs of the active partners that have one.
#[derive(Clone, Debug, Default)]
pub struct MarketDemand {
    icps: Vec<(String, BTreeMap<String, String>)>,
}

impl MarketDemand {
    /// Reads every active partner's ICP.
    pub async fn load(store: &dyn Store) -> Result<Self, StoreError> {
        let mut icps = Vec::new();
        let mut pages = PartnerPages::new(store, 1_000);
        while let Some(page) = pages.next().await? {
            icps.extend(
                page.into_iter()
                    .filter(|p| p.status == PartnerStatus::Active && !p.icp.is_empty())
                    .map(|p| (p.id, p.icp)),
            );
        }
        Ok(Self { icps })
    }

    /// Partners other than `seller_id` matching `lead` at 70 or more.
    pub fn matching(&self, lead: &LeadProfile<'_>, seller_id: &str) -> i64 {
        self.icps
            .iter()
            .filter(|(id, icp)| id != seller_id && icp_match(icp, lead).score >= NOTIFY_MIN_MATCH)
            .count() as i64
    }
}

/// The pricing engine's price for `lead` as of `now` in the market of
/// `demand`.
pub fn suggestion_for(
    demand: &MarketDemand,
    lead: &LeadRecord,
    now: DateTime<Utc>,
) -> PriceSuggestion {
    let matching = demand.matching(&lead_profile(lead), &lead.partner_id);
    suggest_price(&PriceInputs::of(lead, matching, now))
}
