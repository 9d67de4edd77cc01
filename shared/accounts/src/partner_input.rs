//! Parsing of partner input shared by create, update and registration:
//! websites, ICP maps, meeting-type lists, notification preferences and a
//! referral partner's kind and commission rate.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use utoipa::ToSchema;

use pc_api::FieldError;

use crate::partners_store::{NotificationPreferences, PartnerKind, WebhookPreferences};

/// `https://...` or `http://...`, no spaces, at most 2048 characters.
pub fn parse_url(field: &str, text: &str) -> Result<String, FieldError> {
    let url = text.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host_ok = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .is_some_and(|host| !host.is_empty());
    if !scheme_ok || !host_ok || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(FieldError::new(field, "must be an http(s) URL"));
    }
    Ok(url.to_owned())
}

/// A website: a URL, with `https://` added when the scheme is missing.
pub fn parse_website(field: &str, text: &str) -> Result<Option<String>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    parse_url(field, &with_scheme).map(Some)
}

/// The ideal customer profile: at most 50 entries of short text.
pub fn parse_icp(
    field: &str,
    icp: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    if icp.len() > 50 {
        return Err(FieldError::new(field, "at most 50 entries"));
    }
    let mut clean = BTreeMap::new();
    for (k, v) in icp {
        let key = k.trim();
        if key.is_empty() || key.len() > 100 || v.len() > 1000 {
            return Err(FieldError::new(
                format!("{field}.{k}"),
                "keys are 1-100 characters, values at most 1000",
            ));
        }
        clean.insert(key.to_owned(), v.trim().to_owned());
    }
    Ok(clean)
}

/// Meeting type names: trimmed, 1-200 characters without control
/// characters (each names a routing guard's key), at most 50, no
/// duplicates (case-insensitively, as the routing guard compares them).
pub fn parse_meeting_types(field: &str, types: Vec<String>) -> Result<Vec<String>, FieldError> {
    if types.len() > 50 {
        return Err(FieldError::new(field, "at most 50 meeting types"));
    }
    let mut seen = BTreeSet::new();
    let mut clean = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let name = t.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "must be 1-200 characters",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "must not contain control characters",
            ));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(FieldError::new(format!("{field}[{i}]"), "is listed twice"));
        }
        clean.push(name.to_owned());
    }
    Ok(clean)
}

/// A commission rate in percent (`12.5`) into basis points (`1250`),
/// without floating point: more than 0 and at most 100, at most two
/// decimals.
pub fn parse_commission_rate(field: &str, rate: &serde_json::Number) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "must be a percent above 0 and at most 100, two decimals",
        )
    };
    let text = rate.to_string();
    if text.starts_with('-') || text.contains(['e', 'E']) {
        return Err(bad());
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 2 || whole.is_empty() || whole.len() > 3 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let hundredths: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bps = whole * 100 + hundredths;
    if bps == 0 || bps > 10_000 {
        return Err(bad());
    }
    Ok(bps)
}

/// A partner's kind and commission rate at creation: `kind` is `agency`
/// (the default) or `referral`; a referral partner needs a
/// `commissionRate`, an agency takes none.
pub fn parse_kind_and_rate(
    kind: Option<&str>,
    rate: Option<&serde_json::Number>,
) -> Result<(PartnerKind, Option<i64>), FieldError> {
    let kind = match kind {
        None => PartnerKind::Agency,
        Some(text) => PartnerKind::parse(text)
            .ok_or_else(|| FieldError::new("kind", "must be \"agency\" or \"referral\""))?,
    };
    match (kind, rate) {
        (PartnerKind::Referral, Some(rate)) => {
            Ok((kind, Some(parse_commission_rate("commissionRate", rate)?)))
        }
        (PartnerKind::Referral, None) => Err(FieldError::new(
            "commissionRate",
            "is required for a referral partner",
        )),
        (PartnerKind::Agency, Some(_)) => Err(FieldError::new(
            "commissionRate",
            "applies to referral partners only",
        )),
        (PartnerKind::Agency, None) => Ok((kind, None)),
    }
}

/// A partial change of email preferences: absent flags stay as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailPreferencesPatch {
    pub new_lead: Option<bool>,
    pub lead_reminder: Option<bool>,
    pub lost_lead_alert: Option<bool>,
    pub marketplace: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct WebhookPatch {
    pub url: String,
    /// Required the first time; keeps the stored one when absent.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub events: Vec<String>,
}

/// `{email: {...}, webhook: {url, secret, events[]} | null}`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct NotificationPreferencesPatch {
    #[serde(default)]
    pub email: Option<EmailPreferencesPatch>,
    /// `null` removes the webhook.
    #[serde(default, deserialize_with = "crate::partner_input::present")]
    #[schema(value_type = Option<WebhookPatch>)]
    pub webhook: Option<Option<WebhookPatch>>,
}

/// Tells an absent field from an explicit `null`.
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Applies a patch to the current preferences.
pub fn apply_preferences(
    field: &str,
    current: &NotificationPreferences,
    patch: NotificationPreferencesPatch,
) -> Result<NotificationPreferences, Vec<FieldError>> {
    let mut next = current.clone();
    let mut errors = Vec::new();
    if let Some(email) = patch.email {
        let e = &mut next.email;
        e.new_lead = email.new_lead.unwrap_or(e.new_lead);
        e.lead_reminder = email.lead_reminder.unwrap_or(e.lead_reminder);
        e.lost_lead_alert = email.lost_lead_alert.unwrap_or(e.lost_lead_alert);
        e.marketplace = email.marketplace.unwrap_or(e.marketplace);
    }
    match patch.webhook {
        None => {}
        Some(None) => next.webhook = None,
        Some(Some(hook)) => {
            let url = parse_url(&format!("{field}webhook.url"), &hook.url);
            if let Err(e) = &url {
                errors.push(e.clone());
            }
            let secret = match hook.secret.map(|s| s.trim().to_owned()) {
                Some(s) if (16..=256).contains(&s.len()) => Some(s),
                Some(_) => {
                    errors.push(FieldError::new(
                        format!("{field}webhook.secret"),
                        "must be 16 to 256 characters",
                    ));
                    None
                }
                None => current
                    .webhook
                    .as_ref()
                    .map(|w| w.secret.clone())
                    .filter(|s| !s.is_empty()),
            };
            if secret.is_none() && errors.is_empty() {
                errors.push(FieldError::new(
                    format!("{field}webhook.secret"),
                    "is required",
                ));
            }
            let mut events = BTreeSet::new();
            if hook.events.len() > 50 {
                errors.push(FieldError::new(
                    format!("{field}webhook.events"),
                    "at most 50 events",
                ));
            }
            for (i, ev) in hook.events.iter().enumerate() {
                let ev = ev.trim();
                if ev.is_empty() || ev.len() > 100 {
                    errors.push(FieldError::new(
                        format!("{field}webhook.events[{i}]"),
                        "must be 1-100 characters",
                    ));
                } else {
                    events.insert(ev.to_owned());
                }
            }
            if let (Ok(url), Some(secret)) = (url, secret) {
                next.webhook = Some(WebhookPreferences {
                    url,
                    secret,
                    events: events.into_iter().collect(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> serde_json::Number {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn commission_rates_are_percent_in_basis_points() {
        assert_eq!(parse_commission_rate("r", &n("12.5")), Ok(1250));
        assert_eq!(parse_commission_rate("r", &n("100")), Ok(10_000));
        assert_eq!(parse_commission_rate("r", &n("0.01")), Ok(1));
        for bad in ["0", "0.00", "100.01", "-5", "1.005", "1e3", "1000"] {
            assert!(parse_commission_rate("r", &n(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_referral_partners_take_a_commission_rate() {
        assert_eq!(
            parse_kind_and_rate(None, None),
            Ok((PartnerKind::Agency, None))
        );
        assert_eq!(
            parse_kind_and_rate(Some("referral"), Some(&n("10"))),
            Ok((PartnerKind::Referral, Some(1000)))
        );
        let field = |r: Result<_, FieldError>| r.unwrap_err().field;
        assert_eq!(
            field(parse_kind_and_rate(Some("referral"), None)),
            "commissionRate"
        );
        assert_eq!(
            field(parse_kind_and_rate(None, Some(&n("10")))),
            "commissionRate"
        );
        assert_eq!(field(parse_kind_and_rate(Some("broker"), None)), "kind");
    }
}
