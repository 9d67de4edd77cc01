//! A partner's billing configuration: how it is charged and
//! the terms over time, validated as a whole, stored on its own item.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! A stored term `value` is an integer: cents per lead for `qualified_lead`
//! and `closed_won_lead`, hundredths of a percent (basis points) for
//! `percentage_of_deal`. The API shows dollars and percents as numbers.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use utoipa::ToSchema;

use pc_http::FieldError;
use pc_platform::store::{Condition, Item, Store, StoreError, Update, from_item, to_item};

use crate::email_address::EmailAddress;
pub use crate::keys::billing_key;

/// The partner's billing configuration, if it has one.
pub async fn get_billing_config(
    store: &dyn Store,
    partner_id: &str,
) -> Result<Option<BillingConfig>, StoreError> {
    store.get_as(&billing_key(partner_id)).await
}

/// The billing configurations of those of `partner_ids` that have one,
/// in one batch get (so at most `MAX_BATCH_GET` ids).
pub async fn get_billing_configs(
    store: &dyn Store,
    partner_ids: &[&str],
) -> Result<Vec<BillingConfig>, StoreError> {
    let keys: Vec<_> = partner_ids.iter().map(|id| billing_key(id)).collect();
    store
        .batch_get(&keys)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Keeps the partner's Stripe customer on its billing configuration,
/// unless one is kept already; answers whether this call stored it
/// (`false` also when the partner has no configuration).
pub async fn keep_stripe_customer(
    store: &dyn Store,
    partner_id: &str,
    customer_id: &str,
) -> Result<bool, StoreError> {
    let update = Update::new(billing_key(partner_id))
        .set("stripeCustomerId", customer_id)
        .when(Condition::Exists.and(Condition::missing("stripeCustomerId")));
    match store.update(update).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failure() => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingType {
    QualifiedLead,
    ClosedWonLead,
    PercentageOfDeal,
}

/// A calendar month, `YYYY-MM`; orders as text and in time alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Month(String);

impl Month {
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        let ok = y.len() == 4
            && m.len() == 2
            && y.chars().chain(m.chars()).all(|c| c.is_ascii_digit())
            && (1..=12).contains(&m.parse::<u32>().ok()?)
            && y.parse::<u32>().ok()? >= 2000;
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One stored term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingTerm {
    pub start_month: Month,
    pub end_month: Option<Month>,
    /// Cents, or basis points for a percentage (see the module doc).
    pub value: i64,
}

/// The stored configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingConfig {
    pub partner_id: String,
    pub billing_type: BillingType,
    pub billing_terms: Vec<BillingTerm>,
    pub billing_email: Option<String>,
    pub stripe_customer_id: Option<String>,
}

impl BillingConfig {
    pub fn item(&self) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = billing_key(&self.partner_id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("entity".into(), "billing_config".into());
        Ok(item)
    }

    /// The API form: values as dollars or percents.
    pub fn view(&self) -> BillingConfigView {
        BillingConfigView {
            billing_type: Some(self.billing_type),
            billing_terms: self
                .billing_terms
                .iter()
                .map(|t| BillingTermView {
                    start_month: t.start_month.as_str().to_owned(),
                    end_month: t.end_month.as_ref().map(|m| m.as_str().to_owned()),
                    value: hundredths_to_number(t.value),
                })
                .collect(),
            billing_email: self.billing_email.clone(),
            stripe_customer_id: self.stripe_customer_id.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingTermView {
    pub start_month: String,
    #[serde(default)]
    pub end_month: Option<String>,
    /// Dollars per lead, or a percent for `percentage_of_deal`.
    #[schema(value_type = f64)]
    pub value: Number,
}

/// `GET|PUT /v1/partners/{id}/billing` body; `billingType: null` when unset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingConfigView {
    pub billing_type: Option<BillingType>,
    pub billing_terms: Vec<BillingTermView>,
    #[serde(default)]
    pub billing_email: Option<String>,
    #[serde(default)]
    pub stripe_customer_id: Option<String>,
}

/// Parses a JSON number with at most two decimals into hundredths,
/// exactly (from its text, never through floating point).
pub fn number_to_hundredths(n: &Number) -> Option<i64> {
    let text = n.to_string();
    if text.contains(['e', 'E', '-']) {
        return None;
    }
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 || whole.len() > 12 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac)
}

fn hundredths_to_number(v: i64) -> Number {
    let text = format!("{}.{:02}", v / 100, v % 100);
    serde_json::from_str::<Number>(&text).unwrap_or_else(|_| Number::from(v / 100))
}

/// Validates a whole configuration; every problem becomes a field error.
pub fn parse(
    partner_id: &str,
    view: &BillingConfigView,
    field: &str,
) -> Result<BillingConfig, Vec<FieldError>> {
    let mut errors = Vec::new();
    let at = |name: &str| format!("{field}{name}");
    let Some(billing_type) = view.billing_type else {
        return Err(vec![FieldError::new(
            at("billingType"),
            "is one of qualified_lead, closed_won_lead, percentage_of_deal",
        )]);
    };
    if view.billing_terms.is_empty() {
        errors.push(FieldError::new(
            at("billingTerms"),
            "needs at least one term",
        ));
    }
    if view.billing_terms.len() > 100 {
        errors.push(FieldError::new(at("billingTerms"), "at most 100 terms"));
    }
    let mut terms = Vec::new();
    for (i, term) in view.billing_terms.iter().enumerate() {
        let f = |name: &str| at(&format!("billingTerms[{i}].{name}"));
        let start = Month::parse(&term.start_month);
        if start.is_none() {
            errors.push(FieldError::new(f("startMonth"), "must be YYYY-MM"));
        }
        let end = match &term.end_month {
            None => Some(None),
            Some(text) => match Month::parse(text) {
                Some(m) => Some(Some(m)),
                None => {
                    errors.push(FieldError::new(f("endMonth"), "must be YYYY-MM or null"));
                    None
                }
            },
        };
        let value = number_to_hundredths(&term.value).filter(|v| *v > 0);
        let value = match (value, billing_type) {
            (Some(v), BillingType::PercentageOfDeal) if v > 10_000 => None,
            (v, _) => v,
        };
        if value.is_none() {
            let rule = match billing_type {
                BillingType::PercentageOfDeal => {
                    "must be a percent above 0 and at most 100, two decimals at most"
                }
                _ => "must be an amount above 0 with at most two decimals",
            };
            errors.push(FieldError::new(f("value"), rule));
        }
        if let (Some(start), Some(end), Some(value)) = (start, end, value) {
            if end.as_ref().is_some_and(|e| *e < start) {
                errors.push(FieldError::new(
                    f("endMonth"),
                    "must not be before startMonth",
                ));
            } else {
                terms.push(BillingTerm {
                    start_month: start,
                    end_month: end,
                    value,
                });
            }
        }
    }
    if errors.is_empty() {
        terms.sort_by(|a, b| a.start_month.cmp(&b.start_month));
        for pair in terms.windows(2) {
            match &pair[0].end_month {
                None => errors.push(FieldError::new(
                    at("billingTerms"),
                    "only the last term may be open-ended",
                )),
                Some(end) if *end >= pair[1].start_month => errors.push(FieldError::new(
                    at("billingTerms"),
                    format!("terms overlap around {}", pair[1].start_month.as_str()),
                )),
                _ => {}
            }
        }
    }
    let billing_email = match view
        .billing_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(text) => match EmailAddress::parse(text) {
            Ok(e) => Some(e.into_string()),
            Err(m) => {
                errors.push(FieldError::new(at("billingEmail"), m));
                None
            }
        },
    };
    let stripe_customer_id = view
        .stripe_customer_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if stripe_customer_id
        .as_deref()
        .is_some_and(|s| !s.starts_with("cus_") || s.len() > 100)
    {
        errors.push(FieldError::new(
            at("stripeCustomerId"),
            "must be a Stripe customer id (cus_...)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(BillingConfig {
        partner_id: partner_id.to_owned(),
        billing_type,
        billing_terms: terms,
        billing_email,
        stripe_customer_id,
    })
}

/// The view of a partner without configuration.
pub fn unset_view() -> BillingConfigView {
    BillingConfigView {
        billing_type: None,
        billing_terms: Vec::new(),
        billing_email: None,
        stripe_customer_id: None,
    }
}

/// Whether a JSON value is a billing view at all (for `POST /v1/partners`'s `billing`).
pub fn from_value(value: Value) -> Result<BillingConfigView, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(v: Value) -> BillingConfigView {
        serde_json::from_value(v).unwrap()
    }

    fn fields(v: Value) -> Vec<String> {
        parse("p", &view(v), "")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[tokio::test]
    async fn the_stripe_customer_is_kept_once_and_read_back_typed() {
        use pc_platform::store::Store;
        use pc_platform::store::embedded::EmbeddedStore;

        let store = EmbeddedStore::in_memory();
        // No configuration: nothing to keep it on.
        assert!(!keep_stripe_customer(&store, "p1", "cus_0").await.unwrap());
        assert_eq!(get_billing_config(&store, "p1").await.unwrap(), None);
        let config = BillingConfig {
            partner_id: "p1".into(),
            billing_type: BillingType::QualifiedLead,
            billing_terms: Vec::new(),
            billing_email: Some("billing@acme.io".into()),
            stripe_customer_id: None,
        };
        store.put(config.item().unwrap(), None).await.unwrap();
        assert!(keep_stripe_customer(&store, "p1", "cus_1").await.unwrap());
        // A second run keeps the first customer.
        assert!(!keep_stripe_customer(&store, "p1", "cus_2").await.unwrap());
        let stored = get_billing_config(&store, "p1").await.unwrap().unwrap();
        assert_eq!(stored.stripe_customer_id.as_deref(), Some("cus_1"));
        assert_eq!(stored.billing_email.as_deref(), Some("billing@acme.io"));
        let found = get_billing_configs(&store, &["p1", "p2"]).await.unwrap();
        assert_eq!(found, [stored]);
    }

    #[test]
    fn money_is_parsed_exactly() {
        let n = |t: &str| serde_json::from_str::<Number>(t).unwrap();
        assert_eq!(number_to_hundredths(&n("125.5")), Some(12_550));
        assert_eq!(number_to_hundredths(&n("0.07")), Some(7));
        assert_eq!(number_to_hundredths(&n("3")), Some(300));
        assert_eq!(number_to_hundredths(&n("1.005")), None);
        assert_eq!(number_to_hundredths(&n("-1")), None);
        assert_eq!(hundredths_to_number(12_550).to_string(), "125.5");
    }

    #[test]
    fn valid_terms_round_trip() {
        let config = parse(
            "p",
            &view(json!({"billingType": "qualified_lead", "billingTerms": [
                {"startMonth": "2024-07", "endMonth": null, "value": 80},
                {"startMonth": "2024-01", "endMonth": "2024-06", "value": 50.25}],
                "billingEmail": "Billing@Acme.io"})),
            "",
        )
        .unwrap();
        assert_eq!(config.billing_terms[0].value, 5_025);
        assert_eq!(config.billing_email.as_deref(), Some("billing@acme.io"));
        assert_eq!(config.view().billing_terms[1].value.to_string(), "80.0");
    }

    #[test]
    fn refuses_bad_terms() {
        assert_eq!(
            fields(json!({"billingType": null, "billingTerms": []})),
            ["billingType"]
        );
        assert_eq!(
            fields(json!({"billingType": "qualified_lead", "billingTerms": [
                {"startMonth": "2024-13", "value": 1}]})),
            ["billingTerms[0].startMonth"]
        );
        assert_eq!(
            fields(
                json!({"billingType": "percentage_of_deal", "billingTerms": [
                {"startMonth": "2024-01", "value": 101}]})
            ),
            ["billingTerms[0].value"]
        );
        assert_eq!(
            fields(json!({"billingType": "qualified_lead", "billingTerms": [
                {"startMonth": "2024-05", "endMonth": "2024-01", "value": 1}]})),
            ["billingTerms[0].endMonth"]
        );
        assert_eq!(
            fields(json!({"billingType": "qualified_lead", "billingTerms": [
                {"startMonth": "2024-01", "endMonth": "2024-06", "value": 1},
                {"startMonth": "2024-06", "endMonth": null, "value": 2}]})),
            ["billingTerms"]
        );
        assert_eq!(
            fields(json!({"billingType": "qualified_lead", "billingTerms": [
                {"startMonth": "2024-01", "endMonth": null, "value": 1},
                {"startMonth": "2025-01", "endMonth": null, "value": 2}]})),
            ["billingTerms"]
        );
    }
}
