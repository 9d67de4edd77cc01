//! How listings and reservations appear in the API: the seller's own view,
//! the masked row and detail a browsing partner sees (with its ICP match),
//! and a buyer's reservation. No view carries notes or a person's name:
//! the contact channels (email, phone, the person's name) are what a buyer
//! pays for, and only the buyer's copy of the lead shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use pc_leads::lead::dollars;
use pc_platform::time::serde_millis;

use crate::icp_match::{IcpMatch, LeadProfile};
use crate::listing_store::{ListingRecord, MarketplaceStatus};
use crate::reservations_store::{ReservationRecord, ReservationStatus};

/// `jane@example.com` → `j***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `+1 (555) 123-1234` → `+1 (555) ***-1234`: the last four digits and
/// the leading country and area digits stay, at least three digits before
/// the last four are starred; short numbers keep only their last two.
pub fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let (keep_head, keep_tail) = if digits >= 8 {
        (digits - 7, 4)
    } else {
        (0, digits.min(2))
    };
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= keep_head || seen > digits - keep_tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The lead fields the ICP match reads, from a lead.
pub fn lead_profile(lead: &pc_leads::lead::LeadRecord) -> LeadProfile<'_> {
    LeadProfile {
        industry: lead.contact.industry.as_deref(),
        company_size: lead.contact.company_size.as_deref(),
        country: lead.contact.country.as_deref(),
        title: lead.contact.title.as_deref(),
    }
}

/// The lead fields the ICP match reads, from a listing.
pub fn profile(listing: &ListingRecord) -> LeadProfile<'_> {
    LeadProfile {
        industry: listing.contact.industry.as_deref(),
        company_size: listing.contact.company_size.as_deref(),
        country: listing.contact.country.as_deref(),
        title: listing.contact.title.as_deref(),
    }
}

/// A listed lead as another partner sees it, in browse rows and in the
/// detail alike: `email` and `phone` masked; the detail adds the website.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketLeadView {
    pub id: String,
    pub seller_id: String,
    pub marketplace_status: MarketplaceStatus,
    /// Dollars.
    #[schema(value_type = f64)]
    pub listing_price: Value,
    pub listing_price_cents: i64,
    pub quality_score: i64,
    pub view_count: i64,
    pub email: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub country: Option<String>,
    /// 0–100 against the caller's ICP.
    pub icp_match: i64,
    pub match_reasons: Vec<String>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub listed_at: DateTime<Utc>,
}

impl MarketLeadView {
    /// `detail`: the lead's own page (with the website), not a browse row.
    pub fn of(listing: &ListingRecord, matched: IcpMatch, detail: bool) -> Self {
        let c = &listing.contact;
        Self {
            id: listing.lead_id.clone(),
            seller_id: listing.seller_id.clone(),
            marketplace_status: listing.marketplace_status,
            listing_price: dollars(listing.listing_price_cents),
            listing_price_cents: listing.listing_price_cents,
            quality_score: listing.quality_score,
            view_count: listing.view_count,
            email: mask_email(&c.email),
            phone: c.phone.as_deref().map(mask_phone),
            company: c.company.clone(),
            title: c.title.clone(),
            website: if detail { c.website.clone() } else { None },
            industry: c.industry.clone(),
            company_size: c.company_size.clone(),
            country: c.country.clone(),
            icp_match: matched.score,
            match_reasons: matched.reasons,
            listed_at: listing.listed_at,
        }
    }
}

/// A seller's own listing, unmasked, with who viewed it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListingView {
    pub id: String,
    pub lead_id: String,
    pub seller_id: String,
    pub buyer_id: Option<String>,
    pub marketplace_status: MarketplaceStatus,
    #[schema(value_type = f64)]
    pub listing_price: Value,
    pub listing_price_cents: i64,
    pub view_count: i64,
    pub viewed_by: Vec<String>,
    pub quality_score: i64,
    /// The pricing engine's price when listed, in dollars, and its reasons
    /// (absent on listings made before the engine).
    #[schema(value_type = Option<f64>)]
    pub suggested_price: Option<Value>,
    pub suggested_price_cents: Option<i64>,
    pub suggestion_reasons: Vec<String>,
    pub reservation_id: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub country: Option<String>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub listed_at: DateTime<Utc>,
    #[serde(with = "serde_millis::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sold_at: Option<DateTime<Utc>>,
    /// Once sold: the current `dealStatus` of the buyer's copy (only in
    /// the seller's listings; absent once the copy is withdrawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_deal_status: Option<String>,
}

impl ListingView {
    pub fn of(l: &ListingRecord) -> Self {
        Self {
            id: l.lead_id.clone(),
            lead_id: l.lead_id.clone(),
            seller_id: l.seller_id.clone(),
            buyer_id: l.buyer_id.clone(),
            marketplace_status: l.marketplace_status,
            listing_price: dollars(l.listing_price_cents),
            listing_price_cents: l.listing_price_cents,
            view_count: l.view_count,
            viewed_by: l.viewed_by.clone(),
            quality_score: l.quality_score,
            suggested_price: l.suggested_price_cents.map(dollars),
            suggested_price_cents: l.suggested_price_cents,
            suggestion_reasons: l.suggestion_reasons.clone(),
            reservation_id: l.reservation_id.clone(),
            email: l.contact.email.clone(),
            phone: l.contact.phone.clone(),
            company: l.contact.company.clone(),
            industry: l.contact.industry.clone(),
            company_size: l.contact.company_size.clone(),
            country: l.contact.country.clone(),
            listed_at: l.listed_at,
            sold_at: l.sold_at,
            buyer_deal_status: None,
        }
    }
}

/// A buyer's reservation.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    pub id: String,
    pub lead_id: String,
    pub seller_id: String,
    pub status: ReservationStatus,
    #[schema(value_type = f64)]
    pub price: Value,
    pub price_cents: i64,
    pub days: i64,
    pub extended: bool,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "serde_millis::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl ReservationView {
    pub fn of(r: &ReservationRecord) -> Self {
        Self {
            id: r.id.clone(),
            lead_id: r.lead_id.clone(),
            seller_id: r.seller_id.clone(),
            status: r.status,
            price: dollars(r.price_cents),
            price_cents: r.price_cents,
            days: r.days,
            extended: r.extended,
            created_at: r.created_at,
            expires_at: r.expires_at,
            closed_at: r.closed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_their_first_letter_and_domain() {
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_email("nope"), "***");
    }

    #[test]
    fn phones_keep_area_and_last_four() {
        assert_eq!(mask_phone("+1 (555) 123-1234"), "+1 (555) ***-1234");
        assert_eq!(mask_phone("(555) 123-1234"), "(555) ***-1234");
        assert_eq!(mask_phone("+49 30 12345678"), "+49 30 1***5678");
        assert_eq!(mask_phone("12345"), "***45");
    }
}
