//! Parsing of partner input shared by create, update and registration:
//! websites, ICP maps, meeting-type lists, notification preferences and a
//! referral partner's kind and commission rate.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use utoipa::ToSchema;

use pc_http::FieldError;

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
/// (the default), `referral` or `platform`; a referral partner needs a
/// `commissionRate`, the others take none.
pub fn parse_kind_and_rate(
    kind: Option<&str>,
    rate: Option<&serde_json::Number>,
) -> Result<(PartnerKind, Option<i64>), FieldError> {
    let kind = match kind {
        None => PartnerKind::Agency,
        Some(text) => PartnerKind::parse(text).ok_or_else(|| {
            FieldError::new("kind", "must be \"agency\", \"referral\" or \"platform\"")
        })?,
    };
    match (kind, rate) {
        (PartnerKind::Referral, Some(rate)) => {
            Ok((kind, Some(parse_commission_rate("commissionRate", rate)?)))
        }
        (PartnerKind::Referral, None) => Err(FieldError::new(
            "commissionRate",
            "is required for a referral partner",
        )),
        (PartnerKind::Agency | PartnerKind::Platform, Some(_)) => Err(FieldError::new(
            "commissionRate",
            "applies to referral partners only",
        )),
        (PartnerKind::Agency | PartnerKind::Platform, None) => Ok((kind, None)),
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

/// A webhook change: absent fields keep their current value (a new
/// webhook needs `url` and `events`). The server generates the signing
/// secret when a webhook is first set and on `rotateSecret: true`, and
/// shows it in that answer only; a secret sent by the client is refused.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPatch {
    /// `https://` (plain `http://` and loopback on the dev server only).
    #[serde(default)]
    pub url: Option<String>,
    /// Refused with 400: the server generates secrets.
    #[serde(default)]
    pub secret: Option<String>,
    /// Event type names (`lead.created`, ...) or `["*"]` for every type.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// Replaces the signing secret with a new one, shown once.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// Preferences after a patch, and whether the webhook needs a new secret
/// (first set, or rotated): the caller issues it where it can show it.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedPreferences {
    pub preferences: NotificationPreferences,
    pub issue_secret: bool,
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

/// Applies a patch to the current preferences; `allow_local` admits the
/// dev server's plain-HTTP and loopback receivers.
pub fn apply_preferences(
    field: &str,
    current: &NotificationPreferences,
    patch: NotificationPreferencesPatch,
    allow_local: bool,
) -> Result<AppliedPreferences, Vec<FieldError>> {
    let mut next = current.clone();
    let mut errors = Vec::new();
    let mut issue_secret = false;
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
            let field = format!("{field}webhook.");
            match apply_webhook(&field, current.webhook.as_ref(), hook, allow_local) {
                Ok((webhook, issue)) => {
                    next.webhook = Some(webhook);
                    issue_secret = issue;
                }
                Err(e) => errors.extend(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(AppliedPreferences {
            preferences: next,
            issue_secret,
        })
    } else {
        Err(errors)
    }
}

/// The webhook after `patch`, and whether it needs a new secret.
fn apply_webhook(
    field: &str,
    current: Option<&WebhookPreferences>,
    patch: WebhookPatch,
    allow_local: bool,
) -> Result<(WebhookPreferences, bool), Vec<FieldError>> {
    let mut errors = Vec::new();
    if patch.secret.is_some() {
        errors.push(FieldError::new(
            format!("{field}secret"),
            "is generated by the server: send rotateSecret: true for a new one, shown once",
        ));
    }
    let url = match (patch.url, current) {
        (Some(url), _) => match pc_platform::receivers::check_url(&url, allow_local) {
            Ok(url) => Some(url.to_string()),
            Err(m) => {
                errors.push(FieldError::new(format!("{field}url"), m));
                None
            }
        },
        (None, Some(hook)) => Some(hook.url.clone()),
        (None, None) => {
            errors.push(FieldError::new(format!("{field}url"), "is required"));
            None
        }
    };
    let events = match (patch.events, current) {
        (Some(events), _) => parse_events(&format!("{field}events"), &events)
            .map_err(|e| errors.extend(e))
            .ok(),
        (None, Some(hook)) => Some(hook.events.clone()),
        (None, None) => {
            errors.push(FieldError::new(format!("{field}events"), "is required"));
            None
        }
    };
    match (url, events) {
        (Some(url), Some(events)) if errors.is_empty() => {
            let issue = patch.rotate_secret || !current.is_some_and(WebhookPreferences::has_secret);
            let mut hook = current.cloned().unwrap_or(WebhookPreferences {
                url: String::new(),
                secret: String::new(),
                sealed_secret: None,
                events: Vec::new(),
            });
            hook.url = url;
            hook.events = events;
            Ok((hook, issue))
        }
        _ => Err(errors),
    }
}

/// Event type names: at least one, each a documented type or `*`, kept
/// once each in a stable order.
fn parse_events(field: &str, events: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    if events.is_empty() {
        return Err(vec![FieldError::new(
            field,
            "must name at least one event type, or \"*\" for all",
        )]);
    }
    let mut errors = Vec::new();
    let mut kept = BTreeSet::new();
    for (i, name) in events.iter().enumerate() {
        let name = name.trim();
        if pc_http::partner_events::is_subscribable(name) {
            kept.insert(name.to_owned());
        } else {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                format!(
                    "is not an event type; one of {} or \"*\"",
                    pc_http::partner_events::EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(kept.into_iter().collect())
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
        assert_eq!(
            parse_kind_and_rate(Some("platform"), None),
            Ok((PartnerKind::Platform, None))
        );
        assert_eq!(
            field(parse_kind_and_rate(Some("platform"), Some(&n("10")))),
            "commissionRate"
        );
    }
}
