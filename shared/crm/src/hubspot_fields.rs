//! How a lead's fields read as HubSpot properties and back: the contact
//! carries the person, the deal carries the status (through the partner's
//! stage mapping) and the amount. Values are compared in the lead's own
//! terms (a status name, an amount in cents, a text), so "changed since the
//! last sync" means the same on both sides.

use std::collections::BTreeMap;

use pc_leads::lead::LeadRecord;
use pc_platform::crm::Properties;

use crate::stage_mapping::StageMapping;

/// A lead's synced fields by name, each as text (`""` when empty).
pub type FieldValues = BTreeMap<String, String>;

/// The contact fields and their HubSpot property names.
pub const CONTACT_FIELDS: [(&str, &str); 8] = [
    ("firstName", "firstname"),
    ("lastName", "lastname"),
    ("company", "company"),
    ("phone", "phone"),
    ("title", "jobtitle"),
    ("website", "website"),
    ("country", "country"),
    ("industry", "industry"),
];

/// The deal property holding the lead's id, so a deal created by a sync
/// that stopped before recording it can be found again instead of
/// created twice.
pub const LEAD_ID_PROPERTY: &str = "pc_lead_id";

/// The deal properties a sync reads.
pub fn deal_properties() -> Vec<String> {
    [
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        LEAD_ID_PROPERTY,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The contact properties a sync reads.
pub fn contact_properties() -> Vec<String> {
    let mut names: Vec<String> = CONTACT_FIELDS
        .iter()
        .map(|(_, p)| (*p).to_owned())
        .collect();
    names.push("email".into());
    names
}

/// The lead field a contact property feeds, if any.
pub fn contact_field(property: &str) -> Option<&'static str> {
    CONTACT_FIELDS
        .iter()
        .find(|(_, p)| *p == property)
        .map(|(f, _)| *f)
}

/// The lead's synced fields in the lead's terms.
pub fn lead_values(lead: &LeadRecord) -> FieldValues {
    let mut values = FieldValues::new();
    let mut contact = lead.contact.clone();
    for (field, _) in CONTACT_FIELDS {
        let value = contact
            .field_mut(field)
            .and_then(|v| v.clone())
            .unwrap_or_default();
        values.insert(field.to_owned(), value);
    }
    values.insert("dealStatus".into(), lead.deal_status.as_str().to_owned());
    values.insert(
        "dealAmount".into(),
        lead.deal_amount_cents
            .map(|c| c.to_string())
            .unwrap_or_default(),
    );
    values
}

/// Cents from HubSpot's amount text (`"1250.5"`), exactly: no floating
/// point; a negative amount or more than two decimals is not an amount.
pub fn amount_cents(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.trim_end_matches('0').len() > 2 {
        return None;
    }
    let cents: i64 = format!("{:0<2}", fraction)[..2].parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// HubSpot's amount text for cents (`12550` → `"125.50"`).
pub fn amount_text(cents: i64) -> String {
    pc_platform::money::Cents(cents).decimal_text()
}

/// The value of one HubSpot property in the lead's terms: the field it
/// feeds and its value (`None` when the property feeds no field, or names
/// a stage the partner did not map).
pub fn field_of_property(
    object: ObjectKind,
    property: &str,
    value: &str,
    mapping: &StageMapping,
) -> Option<(&'static str, String)> {
    match (object, property) {
        (ObjectKind::Contact, p) => contact_field(p).map(|f| (f, value.trim().to_owned())),
        (ObjectKind::Deal, "dealstage") => mapping
            .status_of(value)
            .map(|s| ("dealStatus", s.as_str().to_owned())),
        (ObjectKind::Deal, "amount") => {
            let cents = if value.trim().is_empty() {
                Some(String::new())
            } else {
                amount_cents(value).map(|c| c.to_string())
            };
            cents.map(|c| ("dealAmount", c))
        }
        _ => None,
    }
}

/// The values of a linked contact and deal in the lead's terms.
pub fn hubspot_values(
    contact: Option<&Properties>,
    deal: Option<&Properties>,
    mapping: &StageMapping,
) -> FieldValues {
    let mut values = FieldValues::new();
    for (kind, properties) in [(ObjectKind::Contact, contact), (ObjectKind::Deal, deal)] {
        let Some(properties) = properties else {
            continue;
        };
        for (name, value) in properties {
            if let Some((field, value)) = field_of_property(kind, name, value, mapping) {
                values.insert(field.to_owned(), value);
            }
        }
    }
    values
}

/// The contact properties of `values` (only the fields present).
pub fn contact_properties_of(values: &FieldValues) -> Properties {
    CONTACT_FIELDS
        .iter()
        .filter_map(|(field, property)| {
            values
                .get(*field)
                .map(|v| ((*property).to_owned(), v.clone()))
        })
        .collect()
}

/// The deal properties of `values` (only the fields present and mappable).
pub fn deal_properties_of(values: &FieldValues, mapping: &StageMapping) -> Properties {
    let mut properties = Properties::new();
    if let Some(stage) = values
        .get("dealStatus")
        .and_then(|s| mapping.stage_of_name(s))
    {
        properties.insert("dealstage".into(), stage);
    }
    if let Some(amount) = values.get("dealAmount") {
        let text = amount.parse::<i64>().map(amount_text).unwrap_or_default();
        properties.insert("amount".into(), text);
    }
    properties
}

/// The deal's name in HubSpot: the company, else the person, else the email.
pub fn deal_name(lead: &LeadRecord) -> String {
    let person = [&lead.contact.first_name, &lead.contact.last_name]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    lead.contact
        .company
        .clone()
        .filter(|c| !c.is_empty())
        .or(Some(person).filter(|p| !p.is_empty()))
        .unwrap_or_else(|| lead.email.clone())
}

/// The two HubSpot objects a lead becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Contact,
    Deal,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Contact => "contact",
            ObjectKind::Deal => "deal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_exactly() {
        assert_eq!(amount_cents("1250.5"), Some(125_050));
        assert_eq!(amount_cents("1250"), Some(125_000));
        assert_eq!(amount_cents("0.07"), Some(7));
        assert_eq!(amount_cents("12.345"), None);
        assert_eq!(amount_cents("12.340"), Some(1234));
        assert_eq!(amount_cents("abc"), None);
        assert_eq!(amount_text(125_050), "1250.50");
        assert_eq!(amount_text(7), "0.07");
    }
}
