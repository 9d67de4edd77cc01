//! What a partner owes for a month, in integer cents: the one billing
//! term covering the month and the partner's billing type decide a charge
//! per lead created in the month.
//!
//! - `qualified_lead`: every lead, at the term's price;
//! - `closed_won_lead`: every won lead, at the term's price;
//! - `percentage_of_deal`: every won lead with a deal amount, at the
//!   term's percent of it, rounded half up once per line.
//!
//! No term, or nothing to charge, is no invoice.

use pc_accounts::billing_config::{BillingConfig, BillingTerm, BillingType, Month};

/// What billing needs of a lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillableLead {
    pub id: String,
    pub email: String,
    pub company: Option<String>,
    pub won: bool,
    pub deal_amount_cents: Option<i64>,
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub lead_id: String,
    pub description: String,
    pub amount_cents: i64,
}

/// The term whose months include `month` (an open end runs forever).
/// Validated terms never overlap, so at most one does.
pub fn term_for<'a>(config: &'a BillingConfig, month: &Month) -> Option<&'a BillingTerm> {
    config
        .billing_terms
        .iter()
        .find(|t| t.start_month <= *month && t.end_month.as_ref().is_none_or(|end| month <= end))
}

/// `basis_points` hundredths of a percent of `cents`, rounded half up.
pub fn percent_of(cents: i64, basis_points: i64) -> i64 {
    let exact = i128::from(cents.max(0)) * i128::from(basis_points.max(0));
    i64::try_from((exact + 5_000) / 10_000).unwrap_or(i64::MAX)
}

fn who(lead: &BillableLead) -> String {
    match lead.company.as_deref().filter(|c| !c.is_empty()) {
        Some(company) => format!("{} ({company})", lead.email),
        None => lead.email.clone(),
    }
}

fn dollars(cents: i64) -> String {
    pc_platform::money::Cents(cents).to_string()
}

/// The charges of `month` for `leads` (the partner's leads created in
/// it), one per charged lead, in the leads' order.
pub fn charges(config: &BillingConfig, month: &Month, leads: &[BillableLead]) -> Vec<Charge> {
    let Some(term) = term_for(config, month) else {
        return Vec::new();
    };
    leads
        .iter()
        .filter_map(|lead| {
            let (amount_cents, description) = match config.billing_type {
                BillingType::QualifiedLead => (term.value, format!("Qualified lead {}", who(lead))),
                BillingType::ClosedWonLead if lead.won => {
                    (term.value, format!("Closed-won lead {}", who(lead)))
                }
                BillingType::PercentageOfDeal if lead.won => {
                    let deal = lead.deal_amount_cents.unwrap_or(0).max(0);
                    (
                        percent_of(deal, term.value),
                        format!(
                            "{}.{:02}% of the {} deal with {}",
                            term.value / 100,
                            term.value % 100,
                            dollars(deal),
                            who(lead)
                        ),
                    )
                }
                _ => return None,
            };
            (amount_cents > 0).then(|| Charge {
                lead_id: lead.id.clone(),
                description,
                amount_cents,
            })
        })
        .collect()
}

/// The sum of the charges.
pub fn total(charges: &[Charge]) -> i64 {
    charges.iter().map(|c| c.amount_cents).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn config(billing_type: BillingType, terms: &[(&str, Option<&str>, i64)]) -> BillingConfig {
        BillingConfig {
            partner_id: "p".into(),
            billing_type,
            billing_terms: terms
                .iter()
                .map(|(start, end, value)| BillingTerm {
                    start_month: month(start),
                    end_month: end.map(month),
                    value: *value,
                })
                .collect(),
            billing_email: None,
            stripe_customer_id: None,
        }
    }

    fn lead(id: &str, won: bool, deal: Option<i64>) -> BillableLead {
        BillableLead {
            id: id.into(),
            email: format!("{id}@acme.io"),
            company: Some("Acme".into()),
            won,
            deal_amount_cents: deal,
        }
    }

    #[test]
    fn the_term_of_the_month_applies_and_an_open_end_runs_on() {
        let c = config(
            BillingType::QualifiedLead,
            &[
                ("2024-01", Some("2024-06"), 5_000),
                ("2024-07", None, 8_000),
            ],
        );
        assert_eq!(term_for(&c, &month("2023-12")), None);
        assert_eq!(term_for(&c, &month("2024-06")).unwrap().value, 5_000);
        assert_eq!(term_for(&c, &month("2031-02")).unwrap().value, 8_000);
    }

    #[test]
    fn each_billing_type_charges_its_leads() {
        let leads = [
            lead("a", false, None),
            lead("b", true, Some(1_000_000)),
            lead("c", true, None),
        ];
        let may = month("2024-05");
        let q = charges(
            &config(BillingType::QualifiedLead, &[("2024-01", None, 5_000)]),
            &may,
            &leads,
        );
        assert_eq!(total(&q), 15_000);
        let w = charges(
            &config(BillingType::ClosedWonLead, &[("2024-01", None, 20_000)]),
            &may,
            &leads,
        );
        assert_eq!(
            w.iter().map(|c| c.lead_id.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(total(&w), 40_000);
        // 12.5% of $10,000.00; the won lead without an amount charges nothing.
        let p = charges(
            &config(BillingType::PercentageOfDeal, &[("2024-01", None, 1_250)]),
            &may,
            &leads,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].amount_cents, 125_000);
        assert_eq!(
            p[0].description,
            "12.50% of the $10000.00 deal with b@acme.io (Acme)"
        );
    }

    #[test]
    fn percentages_round_half_up_per_line() {
        assert_eq!(percent_of(1_001, 5_000), 501); // 500.5 → 501
        assert_eq!(percent_of(1_003, 3_333), 334); // 334.2999 → 334
        assert_eq!(percent_of(1, 5_000), 1); // 0.5 → 1
        assert_eq!(percent_of(1, 4_999), 0);
        assert_eq!(percent_of(-5, 5_000), 0);
    }

    #[test]
    fn no_term_no_charge() {
        let c = config(BillingType::QualifiedLead, &[("2025-01", None, 5_000)]);
        assert!(charges(&c, &month("2024-12"), &[lead("a", true, Some(1))]).is_empty());
    }
}
