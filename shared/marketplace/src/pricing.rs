//! The suggested price of a lead on the marketplace: what it is worth to a
//! buyer from its quality (which contact and firmographic fields are
//! filled, how recent it is, the size of the deal behind it) and the demand
//! for it (how many active partners' ICPs match it at 70 or more), always
//! within the listing bounds. A pure function of its inputs, so the same
//! lead and market always get the same price and the same reasons.
//!
//! In whole cents, never floating point (docs/pricing.md explains it):
//!
//! ```text
//! value  = $20 base + the worth of each filled field + 5% of the deal amount (at most $2,000)
//! price  = value × recency% × (100% + 10% per matching partner, at most +200%)
//! ```
//!
//! rounded to whole dollars and held within $10–$10,000.

use chrono::{DateTime, Utc};

use crate::listing_api::{MAX_PRICE_CENTS, MIN_PRICE_CENTS};

/// What every lead is worth: a working email.
pub const BASE_CENTS: i64 = 2_000;
/// Share of the deal amount added to the value, in percent, and its cap.
pub const DEAL_SHARE_PERCENT: i64 = 5;
pub const DEAL_BONUS_CAP_CENTS: i64 = 200_000;
/// Each partner whose ICP matches adds this much, in percent, up to the cap.
pub const DEMAND_STEP_PERCENT: i64 = 10;
pub const DEMAND_CAP_PERCENT: i64 = 200;

/// The worth of each filled field, in cents, named as the API names it.
pub const FIELD_WORTH: [(&str, i64); 8] = [
    ("phone", 1_500),
    ("company", 1_000),
    ("title", 800),
    ("industry", 800),
    ("website", 500),
    ("country", 500),
    ("companySize", 500),
    ("name", 400),
];

/// How the value decays with the lead's age: up to `days` old, `percent`
/// of it; older than the last step, [`OLDEST_PERCENT`].
pub const RECENCY: [(i64, i64); 4] = [(30, 100), (90, 80), (180, 60), (365, 40)];
pub const OLDEST_PERCENT: i64 = 25;

/// What the engine reads of a lead and its market.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceInputs {
    pub phone: bool,
    pub company: bool,
    pub title: bool,
    pub industry: bool,
    pub website: bool,
    pub country: bool,
    pub company_size: bool,
    /// Both first and last name.
    pub name: bool,
    /// Whole days since the lead was created (negative counts as 0).
    pub age_days: i64,
    /// The amount of the deal behind the lead, in cents.
    pub deal_amount_cents: Option<i64>,
    /// Active partners, other than the seller, whose ICP matches ≥ 70.
    pub matching_partners: i64,
}

impl PriceInputs {
    /// The inputs of `lead` as of `now`, with `matching_partners` counted
    /// by the caller.
    pub fn of(
        lead: &pc_leads::lead::LeadRecord,
        matching_partners: i64,
        now: DateTime<Utc>,
    ) -> Self {
        let c = &lead.contact;
        let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        Self {
            phone: filled(&c.phone),
            company: filled(&c.company),
            title: filled(&c.title),
            industry: filled(&c.industry),
            website: filled(&c.website),
            country: filled(&c.country),
            company_size: filled(&c.company_size),
            name: filled(&c.first_name) && filled(&c.last_name),
            age_days: (now - lead.created_at).num_days(),
            deal_amount_cents: lead.deal_amount_cents,
            matching_partners,
        }
    }

    fn filled(&self) -> [bool; 8] {
        [
            self.phone,
            self.company,
            self.title,
            self.industry,
            self.website,
            self.country,
            self.company_size,
            self.name,
        ]
    }
}

/// A suggested price and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceSuggestion {
    pub price_cents: i64,
    pub reasons: Vec<String>,
}

fn dollars(cents: i64) -> String {
    if cents % 100 == 0 {
        format!("${}", cents / 100)
    } else {
        format!("${}.{:02}", cents / 100, cents % 100)
    }
}

/// The suggested price of a lead with `inputs`.
pub fn suggest_price(inputs: &PriceInputs) -> PriceSuggestion {
    let mut reasons = vec![format!(
        "base {} for a contact with an email",
        dollars(BASE_CENTS)
    )];

    let filled: Vec<(&str, i64)> = FIELD_WORTH
        .iter()
        .zip(inputs.filled())
        .filter(|(_, filled)| *filled)
        .map(|(worth, _)| *worth)
        .collect();
    let fields_cents: i64 = filled.iter().map(|(_, cents)| cents).sum();
    if filled.is_empty() {
        reasons.push("no contact or company details beyond the email".into());
    } else {
        let names: Vec<&str> = filled.iter().map(|(name, _)| *name).collect();
        reasons.push(format!(
            "+{} for {} filled ({})",
            dollars(fields_cents),
            names.len(),
            names.join(", ")
        ));
    }

    let deal_cents = inputs.deal_amount_cents.unwrap_or(0).max(0);
    let deal_bonus =
        (deal_cents.saturating_mul(DEAL_SHARE_PERCENT) / 100).min(DEAL_BONUS_CAP_CENTS);
    if deal_bonus > 0 {
        reasons.push(format!(
            "+{} for a deal of {} ({DEAL_SHARE_PERCENT}%, at most {})",
            dollars(deal_bonus),
            dollars(deal_cents),
            dollars(DEAL_BONUS_CAP_CENTS)
        ));
    }
    let value = BASE_CENTS + fields_cents + deal_bonus;

    let age = inputs.age_days.max(0);
    let recency = RECENCY
        .iter()
        .find(|(days, _)| age <= *days)
        .map_or(OLDEST_PERCENT, |(_, percent)| *percent);
    reasons.push(format!("× {recency}% for a lead {age} days old"));

    let partners = inputs.matching_partners.max(0);
    let demand = (partners.saturating_mul(DEMAND_STEP_PERCENT)).min(DEMAND_CAP_PERCENT);
    reasons.push(match partners {
        0 => "no partner's ICP matches it at 70 or more yet".into(),
        1 => format!("+{demand}% for 1 partner whose ICP matches at 70 or more"),
        n => format!("+{demand}% for {n} partners whose ICPs match at 70 or more"),
    });

    // value ≤ $2,080 and the factors ≤ 300%: no overflow in i64.
    let raw = value * recency * (100 + demand) / 10_000;
    let whole_dollars = (raw + 50) / 100 * 100;
    let price_cents = whole_dollars.clamp(MIN_PRICE_CENTS, MAX_PRICE_CENTS);
    if price_cents != whole_dollars {
        reasons.push(format!(
            "held within {}–{}",
            dollars(MIN_PRICE_CENTS),
            dollars(MAX_PRICE_CENTS)
        ));
    }
    PriceSuggestion {
        price_cents,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_email_gets_the_base_price() {
        let s = suggest_price(&PriceInputs::default());
        assert_eq!(s.price_cents, 2_000);
        assert_eq!(s.reasons.len(), 4, "{:?}", s.reasons);
    }

    #[test]
    fn a_rich_recent_wanted_lead_is_worth_more() {
        let rich = PriceInputs {
            phone: true,
            company: true,
            title: true,
            industry: true,
            website: true,
            country: true,
            company_size: true,
            name: true,
            age_days: 3,
            deal_amount_cents: Some(1_000_000),
            matching_partners: 3,
        };
        // (20 + 60 + 500) × 100% × 130% = $754.
        let s = suggest_price(&rich);
        assert_eq!(s.price_cents, 75_400, "{:?}", s.reasons);
        assert!(s.reasons[1].contains("8 filled"), "{:?}", s.reasons);
        assert!(s.reasons[2].contains("$10000"), "{:?}", s.reasons);
    }

    #[test]
    fn an_old_bare_lead_is_held_at_the_floor() {
        let s = suggest_price(&PriceInputs {
            age_days: 1_000,
            ..PriceInputs::default()
        });
        assert_eq!(s.price_cents, MIN_PRICE_CENTS);
        assert!(s.reasons.last().unwrap().starts_with("held within"));
    }
}
