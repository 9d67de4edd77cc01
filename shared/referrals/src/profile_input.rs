//! A payout profile change as the API takes it (`PATCH
//! /api/partner/profile`): each present field replaces the stored one,
//! `null` clears it, unknown fields are named. Bank account and tax id are
//! checked here and sealed by the caller; on the way out they are masked
//! to `****` and their last four characters.

use serde_json::{Map, Value};

use pc_http::FieldError;
use pc_leads::lead::{LeadEmail, parse_text};

use crate::profile_store::{PaymentMethod, ProfileRecord};

/// A checked change; the secrets still in plain text.
#[derive(Clone, Debug, Default)]
pub struct ProfilePatch {
    texts: Vec<(&'static str, Option<String>)>,
    flags: Vec<(&'static str, bool)>,
    payment_method: Option<Option<PaymentMethod>>,
    /// `Some(None)` clears; `Some(Some(text))` replaces.
    pub bank_account: Option<Option<String>>,
    pub tax_id: Option<Option<String>>,
}

/// The body of `PATCH /api/partner/profile`, as documented: every member
/// is optional and a present one replaces the profile's (`null` clears).
/// [`ProfilePatch::parse`] reads it; a test keeps the two the same.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"paymentMethod": "bank_transfer", "bankAccount": "DE89 3704 0044 0532 0130 00", "monthlyReports": true}))]
#[allow(dead_code)]
pub struct ProfileChange {
    #[schema(format = Email)]
    payment_email: Option<String>,
    payment_method: Option<PaymentMethod>,
    /// An account number or IBAN: 4 to 34 letters and digits once spaces
    /// and dashes are dropped; stored encrypted, answered masked.
    bank_account: Option<String>,
    /// 4 to 20 letters and digits once spaces and dashes are dropped;
    /// stored encrypted, answered masked.
    tax_id: Option<String>,
    contact_name: Option<String>,
    #[schema(format = Email)]
    contact_email: Option<String>,
    contact_phone: Option<String>,
    website: Option<String>,
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    country: Option<String>,
    #[serde(default)]
    notifications_enabled: bool,
    #[serde(default)]
    email_notifications: bool,
    #[serde(default)]
    monthly_reports: bool,
}

const TEXTS: [&str; 10] = [
    "paymentEmail",
    "contactName",
    "contactEmail",
    "contactPhone",
    "website",
    "address",
    "city",
    "state",
    "zip",
    "country",
];
const FLAGS: [&str; 3] = [
    "notificationsEnabled",
    "emailNotifications",
    "monthlyReports",
];

/// Letters and digits only, `lengths` long once spaces and dashes are
/// dropped: an account number or IBAN (4-34), a tax id (4-20).
fn account_like(
    field: &str,
    text: &str,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<String, FieldError> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !lengths.contains(&clean.len()) || !clean.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(FieldError::new(
            field,
            format!(
                "must be {} to {} letters or digits",
                lengths.start(),
                lengths.end()
            ),
        ));
    }
    Ok(clean.to_uppercase())
}

impl ProfilePatch {
    pub fn parse(body: &Map<String, Value>) -> Result<Self, Vec<FieldError>> {
        let mut patch = ProfilePatch::default();
        let mut errors = Vec::new();
        for (name, value) in body {
            let name = name.as_str();
            if let Some(field) = TEXTS.iter().find(|f| **f == name) {
                match value {
                    Value::Null => patch.texts.push((field, None)),
                    Value::String(s) if field.ends_with("Email") && !s.trim().is_empty() => {
                        match LeadEmail::parse(s) {
                            Ok(e) => patch.texts.push((field, Some(e.into_string()))),
                            Err(m) => errors.push(FieldError::new(name, m)),
                        }
                    }
                    Value::String(s) => match parse_text(s) {
                        Ok(v) => patch.texts.push((field, v)),
                        Err(m) => errors.push(FieldError::new(name, m)),
                    },
                    _ => errors.push(FieldError::new(name, "must be text or null")),
                }
            } else if let Some(field) = FLAGS.iter().find(|f| **f == name) {
                match value {
                    Value::Bool(b) => patch.flags.push((field, *b)),
                    _ => errors.push(FieldError::new(name, "must be true or false")),
                }
            } else {
                match (name, value) {
                    ("paymentMethod", Value::Null) => patch.payment_method = Some(None),
                    ("paymentMethod", Value::String(s)) => match PaymentMethod::parse(s) {
                        Some(m) => patch.payment_method = Some(Some(m)),
                        None => errors.push(FieldError::new(
                            name,
                            format!("is one of {}", PaymentMethod::NAMES.join(", ")),
                        )),
                    },
                    ("bankAccount" | "taxId", Value::Null) => {
                        *patch.secret_mut(name) = Some(None);
                    }
                    ("bankAccount" | "taxId", Value::String(s)) => {
                        let lengths = if name == "bankAccount" {
                            4..=34
                        } else {
                            4..=20
                        };
                        match account_like(name, s, lengths) {
                            Ok(v) => *patch.secret_mut(name) = Some(Some(v)),
                            Err(e) => errors.push(e),
                        }
                    }
                    ("paymentMethod" | "bankAccount" | "taxId", _) => {
                        errors.push(FieldError::new(name, "must be text or null"))
                    }
                    _ => errors.push(FieldError::new(name, "is not a profile field")),
                }
            }
        }
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(errors)
        }
    }

    fn secret_mut(&mut self, name: &str) -> &mut Option<Option<String>> {
        if name == "bankAccount" {
            &mut self.bank_account
        } else {
            &mut self.tax_id
        }
    }

    /// The profile with this patch's plain fields applied (the secrets are
    /// the caller's to seal).
    pub fn apply_plain(&self, profile: &ProfileRecord) -> ProfileRecord {
        let mut after = profile.clone();
        for (field, value) in &self.texts {
            let slot = match *field {
                "paymentEmail" => &mut after.payment_email,
                "contactName" => &mut after.contact_name,
                "contactEmail" => &mut after.contact_email,
                "contactPhone" => &mut after.contact_phone,
                "website" => &mut after.website,
                "address" => &mut after.address,
                "city" => &mut after.city,
                "state" => &mut after.state,
                "zip" => &mut after.zip,
                _ => &mut after.country,
            };
            *slot = value.clone();
        }
        for (flag, value) in &self.flags {
            match *flag {
                "notificationsEnabled" => after.notifications_enabled = *value,
                "emailNotifications" => after.email_notifications = *value,
                _ => after.monthly_reports = *value,
            }
        }
        if let Some(method) = self.payment_method {
            after.payment_method = method;
        }
        after
    }
}

/// `****` and the last four characters.
pub fn masked(plain: &str) -> String {
    let chars: Vec<char> = plain.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_change_has_exactly_the_accepted_fields() {
        let (documented, required) = pc_http::openapi::object_members::<ProfileChange>();
        let mut accepted: Vec<&str> = TEXTS.iter().chain(FLAGS.iter()).copied().collect();
        accepted.extend(["paymentMethod", "bankAccount", "taxId"]);
        accepted.sort_unstable();
        assert_eq!(documented, accepted);
        assert!(required.is_empty(), "every member is optional");
    }

    fn parse(v: Value) -> Result<ProfilePatch, Vec<FieldError>> {
        ProfilePatch::parse(v.as_object().unwrap())
    }

    #[test]
    fn secrets_are_checked_and_masked() {
        let p = parse(json!({"bankAccount": "DE89 3704-0044 0532 0130 00", "taxId": "12-3456789"}))
            .unwrap();
        assert_eq!(p.bank_account, Some(Some("DE89370400440532013000".into())));
        assert_eq!(masked("123456789"), "****6789");
        assert_eq!(masked("12"), "****12");
        let errors =
            parse(json!({"bankAccount": "12", "taxId": "12$45", "iban": "x"})).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"bankAccount")
                && fields.contains(&"taxId")
                && fields.contains(&"iban")
        );
    }

    #[test]
    fn present_fields_replace_and_null_clears() {
        let before = ProfileRecord {
            city: Some("Paris".into()),
            ..ProfileRecord::empty("P1")
        };
        let p = parse(
            json!({"city": null, "paymentEmail": "Pay@X.io", "monthlyReports": false,
            "paymentMethod": "paypal"}),
        )
        .unwrap();
        let after = p.apply_plain(&before);
        assert_eq!(after.city, None);
        assert_eq!(after.payment_email.as_deref(), Some("pay@x.io"));
        assert!(!after.monthly_reports && after.notifications_enabled);
        assert_eq!(after.payment_method, Some(PaymentMethod::Paypal));
        assert!(parse(json!({"paymentEmail": "nope"})).is_err());
    }
}
