//! Partner events from the marketplace's bus events. Each id derives from
//! the source (the listing, the reservation, the purchase), so an event
//! the bus delivers twice is recorded once.
//!
//! | bus event | partner event | partners |
//! |---|---|---|
//! | `lead-listed` | `marketplace.lead_listed` (`lead-listed:<leadId>:<listedAt>`) | the seller |
//! | `lead-matched` | `marketplace.lead_matched` (`lead-matched:<leadId>:<listedAt>:<partnerId>`) | the matched partner |
//! | `lead-reserved` | `marketplace.lead_reserved` (`lead-reserved:<reservationId>`) | the seller and the buyer |
//! | `lead-sold` | `marketplace.lead_sold` (`lead-sold:<purchaseId>`) | the seller |
//! | `lead-sold` | `marketplace.lead_purchased` (`lead-purchased:<purchaseId>`) | the buyer |
//!
//! Every other partner sees a listing only if it matches it
//! (`lead-matched`): a listing is not news to partners it does not fit.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use pc_http::partner_events::PartnerEvent;
use pc_platform::AppContext;
use pc_platform::bus::BusEvent;
use pc_platform::store::StoreError;

use crate::recording::{Recorded, record_event};

/// The bus events partner events come from.
pub const DETAIL_TYPES: [&str; 4] = ["lead-listed", "lead-matched", "lead-reserved", "lead-sold"];

fn text<'a>(detail: &'a Value, field: &str) -> Option<&'a str> {
    detail[field].as_str().filter(|s| !s.is_empty())
}

fn time(detail: &Value, field: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text(detail, field)?)
        .ok()
        .map(|t| t.to_utc())
}

/// The detail's fields a partner may see (the listed lead's profile, the
/// price, ids); never the other party's private fields.
fn visible(detail: &Value, fields: &[&str]) -> Value {
    let mut data = Map::new();
    for field in fields {
        if let Some(value) = detail.get(*field).filter(|v| !v.is_null()) {
            data.insert((*field).to_owned(), value.clone());
        }
    }
    Value::Object(data)
}

fn event(
    id: String,
    kind: &str,
    partners: &[&str],
    at: DateTime<Utc>,
    data: Value,
) -> PartnerEvent {
    PartnerEvent {
        id,
        event_type: kind.to_owned(),
        partner_ids: partners.iter().map(|p| (*p).to_owned()).collect(),
        occurred_at: at,
        data,
    }
}

/// The partner events of one bus event (none for a bus event partners do
/// not see, or one missing what names its source).
pub fn partner_events_of(bus: &BusEvent) -> Vec<PartnerEvent> {
    let d = &bus.detail;
    let built = match bus.detail_type.as_str() {
        "lead-listed" => (|| {
            let (lead, seller, at) = (
                text(d, "leadId")?,
                text(d, "sellerId")?,
                text(d, "listedAt")?,
            );
            let data = visible(
                d,
                &[
                    "leadId",
                    "listingPriceCents",
                    "industry",
                    "companySize",
                    "country",
                ],
            );
            Some(vec![event(
                format!("lead-listed:{lead}:{at}"),
                "marketplace.lead_listed",
                &[seller],
                time(d, "listedAt")?,
                data,
            )])
        })(),
        "lead-matched" => (|| {
            let (lead, partner, at) = (
                text(d, "leadId")?,
                text(d, "partnerId")?,
                text(d, "listedAt")?,
            );
            let data = visible(
                d,
                &["leadId", "icpMatch", "matchReasons", "listingPriceCents"],
            );
            Some(vec![event(
                format!("lead-matched:{lead}:{at}:{partner}"),
                "marketplace.lead_matched",
                &[partner],
                time(d, "listedAt")?,
                data,
            )])
        })(),
        "lead-reserved" => (|| {
            let reservation = text(d, "reservationId")?;
            let (seller, buyer) = (text(d, "sellerId")?, text(d, "buyerId")?);
            let data = visible(d, &["leadId", "reservationId", "expiresAt", "priceCents"]);
            Some(vec![event(
                format!("lead-reserved:{reservation}"),
                "marketplace.lead_reserved",
                &[seller, buyer],
                time(d, "at")?,
                data,
            )])
        })(),
        "lead-sold" => (|| {
            let purchase = text(d, "purchaseId")?;
            let (seller, buyer, at) = (text(d, "sellerId")?, text(d, "buyerId")?, time(d, "at")?);
            let data = visible(d, &["leadId", "purchaseId", "priceCents"]);
            Some(vec![
                event(
                    format!("lead-sold:{purchase}"),
                    "marketplace.lead_sold",
                    &[seller],
                    at,
                    data.clone(),
                ),
                event(
                    format!("lead-purchased:{purchase}"),
                    "marketplace.lead_purchased",
                    &[buyer],
                    at,
                    data,
                ),
            ])
        })(),
        _ => None,
    };
    built.unwrap_or_default()
}

/// Records the partner events of `bus`; answers how many were new.
pub async fn record_bus_event(ctx: &AppContext, bus: &BusEvent) -> Result<usize, StoreError> {
    let mut new = 0;
    for event in partner_events_of(bus) {
        if record_event(ctx, &event).await? == Recorded::New {
            new += 1;
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::EmbeddedParts;
    use serde_json::json;

    fn bus(kind: &str, detail: Value) -> BusEvent {
        BusEvent {
            detail_type: kind.into(),
            detail,
        }
    }

    #[test]
    fn a_sale_is_sold_for_the_seller_and_purchased_for_the_buyer() {
        let sold = bus(
            "lead-sold",
            json!({"leadId": "L", "purchaseId": "U1", "sellerId": "S", "buyerId": "B",
                "priceCents": 5000, "partnerIds": ["S", "B"], "at": "2026-11-22T10:00:00.000Z"}),
        );
        let events = partner_events_of(&sold);
        let summary: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.id.as_str(),
                    e.event_type.as_str(),
                    e.partner_ids[0].as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("lead-sold:U1", "marketplace.lead_sold", "S"),
                ("lead-purchased:U1", "marketplace.lead_purchased", "B"),
            ]
        );
        assert_eq!(
            events[0].data,
            json!({"leadId": "L", "purchaseId": "U1", "priceCents": 5000})
        );
    }

    #[test]
    fn listings_reach_the_seller_and_matches_the_matched_partner_only() {
        let listed = bus(
            "lead-listed",
            json!({"leadId": "L", "sellerId": "S", "listingPriceCents": 900,
                "listedAt": "2026-11-22T10:00:00.000Z"}),
        );
        let events = partner_events_of(&listed);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].partner_ids, ["S"]);
        assert_eq!(events[0].id, "lead-listed:L:2026-11-22T10:00:00.000Z");
        let matched = bus(
            "lead-matched",
            json!({"leadId": "L", "partnerId": "M", "icpMatch": 80,
                "listedAt": "2026-11-22T10:00:00.000Z"}),
        );
        let events = partner_events_of(&matched);
        assert_eq!(events[0].partner_ids, ["M"]);
        assert_eq!(events[0].event_type, "marketplace.lead_matched");
    }

    #[test]
    fn events_without_their_source_ids_or_not_for_partners_make_nothing() {
        assert!(partner_events_of(&bus("lead-sold", json!({"sellerId": "S"}))).is_empty());
        assert!(partner_events_of(&bus("lead-listed", json!({"leadId": "L"}))).is_empty());
        assert!(partner_events_of(&bus("viewer-joined", json!({"sellerId": "S"}))).is_empty());
    }

    #[tokio::test]
    async fn a_redelivered_reservation_is_recorded_once() {
        let parts = EmbeddedParts::in_memory();
        let reserved = bus(
            "lead-reserved",
            json!({"leadId": "L", "reservationId": "R", "sellerId": "S", "buyerId": "B",
                "at": "2026-11-22T10:00:00.000Z"}),
        );
        let ctx = &parts.context;
        parts.clock.set(
            DateTime::parse_from_rfc3339("2026-11-22T10:00:01Z")
                .unwrap()
                .to_utc(),
        );
        assert_eq!(record_bus_event(ctx, &reserved).await.unwrap(), 1);
        assert_eq!(record_bus_event(ctx, &reserved).await.unwrap(), 0);
    }
}
