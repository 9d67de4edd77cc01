//! How well a lead fits a partner's ideal customer profile: a score from 0
//! to 100 and one plain reason per criterion, so a buyer sees why.
//!
//! The ICP is the partner's free-form string map; the criteria read these
//! keys (case, spaces, dashes and underscores ignored), each value a list
//! separated by `,`, `;` or `|`:
//!
//! | criterion | ICP keys | points |
//! |---|---|---|
//! | industry | `industry`, `industries` | 40 |
//! | company size | `companySize`, `companySizes`, `size`, `employees` | 30 (15 when the ranges only overlap) |
//! | country | `country`, `countries`, `geo`, `region` | 20 |
//! | title | `title`, `titles`, `jobTitle`, `jobTitles` | 10 |
//!
//! The points of each criterion are earned on their own and added: a field
//! missing on either side earns nothing, so it can never raise a score,
//! and a lead identical to a complete profile scores 100.

use std::collections::BTreeMap;

/// The lead fields the match reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeadProfile<'a> {
    pub industry: Option<&'a str>,
    pub company_size: Option<&'a str>,
    pub country: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// A score and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcpMatch {
    pub score: i64,
    pub reasons: Vec<String>,
}

const INDUSTRY: (&[&str], i64) = (&["industry", "industries"], 40);
const SIZE: (&[&str], i64) = (&["companysize", "companysizes", "size", "employees"], 30);
const COUNTRY: (&[&str], i64) = (&["country", "countries", "geo", "region"], 20);
const TITLE: (&[&str], i64) = (&["title", "titles", "jobtitle", "jobtitles"], 10);

/// Scores `lead` against `icp`.
pub fn icp_match(icp: &BTreeMap<String, String>, lead: &LeadProfile<'_>) -> IcpMatch {
    let criteria = [
        criterion(icp, INDUSTRY, lead.industry, "industry", industry_points),
        criterion(icp, SIZE, lead.company_size, "company size", size_points),
        criterion(icp, COUNTRY, lead.country, "country", country_points),
        criterion(icp, TITLE, lead.title, "title", title_points),
    ];
    IcpMatch {
        score: criteria.iter().map(|(points, _)| points).sum(),
        reasons: criteria.into_iter().map(|(_, reason)| reason).collect(),
    }
}

/// One criterion's points (out of `max`) and reason.
type Judge = fn(&str, &str, i64, &str) -> (i64, String);

fn criterion(
    icp: &BTreeMap<String, String>,
    (keys, max): (&[&str], i64),
    lead_value: Option<&str>,
    label: &str,
    judge: Judge,
) -> (i64, String) {
    let wanted = icp
        .iter()
        .find(|(k, v)| keys.contains(&key_of(k).as_str()) && !v.trim().is_empty())
        .map(|(_, v)| v.trim());
    let lead_value = lead_value.map(str::trim).filter(|v| !v.is_empty());
    match (wanted, lead_value) {
        (None, _) => (0, format!("no {label} in the ICP")),
        (Some(_), None) => (0, format!("no {label} on the lead")),
        (Some(wanted), Some(value)) => judge(wanted, value, max, label),
    }
}

fn key_of(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lowercased words separated by single spaces.
fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The entries of an ICP list; the whole value is also an entry, so a
/// value that itself holds a separator still matches itself.
fn entries(wanted: &str) -> Vec<String> {
    let mut all: Vec<String> = wanted
        .split([',', ';', '|'])
        .map(normal)
        .filter(|e| !e.is_empty())
        .collect();
    all.push(normal(wanted));
    all
}

fn industry_points(wanted: &str, value: &str, max: i64, label: &str) -> (i64, String) {
    if entries(wanted).contains(&normal(value)) {
        (max, format!("{label} matches"))
    } else {
        (0, format!("{label} {value} not in {wanted}"))
    }
}

/// One spelling per country for the common aliases.
fn country_code(name: &str) -> String {
    let name = normal(name).replace('.', "");
    match name.as_str() {
        "us" | "usa" | "united states" | "united states of america" | "america" => "us".into(),
        "uk" | "gb" | "united kingdom" | "great britain" | "england" => "gb".into(),
        "de" | "germany" | "deutschland" => "de".into(),
        "ca" | "canada" => "ca".into(),
        "fr" | "france" => "fr".into(),
        _ => name,
    }
}

fn country_points(wanted: &str, value: &str, max: i64, label: &str) -> (i64, String) {
    let code = country_code(value);
    if entries(wanted).iter().any(|e| country_code(e) == code) {
        (max, format!("{label} {value} matches"))
    } else {
        (0, format!("{label} {value} not in {wanted}"))
    }
}

fn title_points(wanted: &str, value: &str, max: i64, label: &str) -> (i64, String) {
    let title = normal(value);
    match entries(wanted)
        .into_iter()
        .find(|e| title.contains(e.as_str()))
    {
        Some(term) => (max, format!("{label} {value} matches {term}")),
        None => (0, format!("{label} {value} not in {wanted}")),
    }
}

/// A head-count range; `None` as the upper end means "and more".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SizeRange {
    low: u64,
    high: Option<u64>,
}

impl SizeRange {
    /// `51-200`, `51–200`, `51 to 200`, `500+`, `1,000-5,000`, `200`.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(low) = text.strip_suffix('+') {
            return Some(Self {
                low: number(low)?,
                high: None,
            });
        }
        let parts: Vec<&str> = text
            .splitn(2, ['-', '–', '—'])
            .flat_map(|p| p.split(" to "))
            .collect();
        match parts.as_slice() {
            [one] => number(one).map(|n| Self {
                low: n,
                high: Some(n),
            }),
            [low, high] => {
                let (low, high) = (number(low)?, number(high)?);
                (low <= high).then_some(Self {
                    low,
                    high: Some(high),
                })
            }
            _ => None,
        }
    }

    fn within(self, outer: Self) -> bool {
        self.low >= outer.low
            && match (self.high, outer.high) {
                (_, None) => true,
                (Some(h), Some(o)) => h <= o,
                (None, Some(_)) => false,
            }
    }

    fn overlaps(self, other: Self) -> bool {
        self.high.is_none_or(|h| h >= other.low) && other.high.is_none_or(|h| h >= self.low)
    }
}

impl std::fmt::Display for SizeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.high {
            None => write!(f, "{}+", self.low),
            Some(h) if h == self.low => write!(f, "{h}"),
            Some(h) => write!(f, "{}–{h}", self.low),
        }
    }
}

/// Digits with optional thousands separators.
fn number(text: &str) -> Option<u64> {
    let digits: String = text.trim().chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The ranges of an ICP size list (commas between digits are thousands
/// separators, not list separators).
fn size_entries(wanted: &str) -> Vec<SizeRange> {
    let chars: Vec<char> = wanted.chars().collect();
    let mut list = String::new();
    for (i, c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if *c == ',' && between_digits {
            continue;
        }
        list.push(*c);
    }
    list.split([',', ';', '|'])
        .filter_map(SizeRange::parse)
        .chain(SizeRange::parse(wanted))
        .collect()
}

fn size_points(wanted: &str, value: &str, max: i64, label: &str) -> (i64, String) {
    let ranges = size_entries(wanted);
    let Some(lead) = SizeRange::parse(value) else {
        return industry_points(wanted, value, max, label);
    };
    let shown = |r: &SizeRange| r.to_string();
    if let Some(outer) = ranges.iter().find(|r| lead.within(**r)) {
        return (max, format!("{label} {lead} within {}", shown(outer)));
    }
    if let Some(other) = ranges.iter().find(|r| lead.overlaps(**r)) {
        return (max / 2, format!("{label} {lead} overlaps {}", shown(other)));
    }
    (0, format!("{label} {lead} outside {wanted}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icp(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn lead<'a>(
        industry: &'a str,
        size: &'a str,
        country: &'a str,
        title: &'a str,
    ) -> LeadProfile<'a> {
        LeadProfile {
            industry: Some(industry),
            company_size: Some(size),
            country: Some(country),
            title: Some(title),
        }
    }

    #[test]
    fn a_lead_in_every_range_scores_100_with_its_reasons() {
        let m = icp_match(
            &icp(&[
                ("industry", "Software, SaaS"),
                ("companySize", "11-200"),
                ("country", "USA, Canada"),
                ("titles", "CTO; VP Engineering"),
            ]),
            &lead("saas", "51-200", "United States", "Co-founder & CTO"),
        );
        assert_eq!(m.score, 100);
        assert_eq!(
            m.reasons,
            [
                "industry matches",
                "company size 51–200 within 11–200",
                "country United States matches",
                "title Co-founder & CTO matches cto",
            ]
        );
    }

    #[test]
    fn misses_and_partial_overlaps_are_explained() {
        let m = icp_match(
            &icp(&[
                ("Industry", "Retail"),
                ("company_size", "11-200"),
                ("country", "DE"),
            ]),
            &lead("Software", "51-500", "US", "CEO"),
        );
        assert_eq!(m.score, 15);
        assert_eq!(
            m.reasons,
            [
                "industry Software not in Retail",
                "company size 51–500 overlaps 11–200",
                "country US not in DE",
                "no title in the ICP",
            ]
        );
    }

    #[test]
    fn open_ended_and_thousands_ranges_parse() {
        let wanted = icp(&[("size", "1,000-5,000, 10,000+")]);
        let score = |size: &str| {
            icp_match(
                &wanted,
                &LeadProfile {
                    company_size: Some(size),
                    ..Default::default()
                },
            )
            .score
        };
        assert_eq!(score("2,000-3,000"), 30);
        assert_eq!(score("20000+"), 30);
        assert_eq!(score("4000-20000"), 15);
        assert_eq!(score("11–50"), 0);
        assert_eq!(score("lots"), 0);
    }

    #[test]
    fn missing_fields_earn_nothing() {
        let m = icp_match(&BTreeMap::new(), &lead("a", "1-10", "US", "CEO"));
        assert_eq!(m.score, 0);
        assert_eq!(m.reasons[0], "no industry in the ICP");
        let m = icp_match(&icp(&[("industry", "Retail")]), &LeadProfile::default());
        assert_eq!(m.reasons[0], "no industry on the lead");
        assert_eq!(m.score, 0);
    }
}
