//! Properties of a month's charges, for random valid billing
//! configurations (built through `billing_config::parse`, as the API
//! stores them), random leads and random months: the total is the sum of
//! the lines and what each billing type implies, no line is zero or
//! negative, exactly the term covering the month applies, and percentage
//! lines are the half-up rounding of the exact product, computed here
//! apart from the code under test with i128.

use proptest::prelude::*;
use serde_json::{Number, json};

use pc_accounts::billing_config::{BillingConfig, BillingType, Month, parse};
use pc_billing::billing_math::{BillableLead, charges, term_for, total};

/// A month counted from January 2000, as `YYYY-MM`.
fn month_text(index: u32) -> String {
    format!("{}-{:02}", 2000 + index / 12, index % 12 + 1)
}

fn dollars_text(hundredths: i64) -> Number {
    serde_json::from_str(&format!("{}.{:02}", hundredths / 100, hundredths % 100)).unwrap()
}

/// Deals of a few cents make exact halves (ties) common; large ones test
/// the width of the arithmetic.
fn deal_cents() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..2_000, 0i64..=100_000_000_000]
}

/// Values from 0.01 to 100.00; multiples of 0.50% make ties common.
fn basis_points() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..=10_000, (1i64..=200).prop_map(|k| k * 50)]
}

fn billing_type() -> impl Strategy<Value = BillingType> {
    prop_oneof![
        Just(BillingType::QualifiedLead),
        Just(BillingType::ClosedWonLead),
        Just(BillingType::PercentageOfDeal),
    ]
}

/// A configuration the API accepts: disjoint terms with gaps, the last
/// maybe open-ended, each with a value valid for the type.
fn config() -> impl Strategy<Value = BillingConfig> {
    (
        billing_type(),
        prop::collection::vec((0u32..4, 0u32..18, basis_points()), 1..6),
        any::<bool>(),
    )
        .prop_map(|(billing_type, steps, open_end)| {
            let mut next = 0;
            let mut terms = Vec::new();
            for (i, (gap, length, value)) in steps.iter().enumerate() {
                let start = next + gap;
                next = start + length + 1;
                let last = i + 1 == steps.len();
                let end: Option<u32> = (!(last && open_end)).then_some(start + length);
                // Per-lead prices up to $1,000.00 with cents; percents up to 100.00.
                let value = match billing_type {
                    BillingType::PercentageOfDeal => *value,
                    _ => value * 10,
                };
                terms.push(json!({"startMonth": month_text(start),
                    "endMonth": end.map(month_text), "value": dollars_text(value)}));
            }
            let view = serde_json::from_value(json!({"billingType": billing_type,
                "billingTerms": terms}))
            .expect("a well-formed view");
            parse("p", &view, "").expect("generated terms are valid")
        })
}

fn leads() -> impl Strategy<Value = Vec<BillableLead>> {
    prop::collection::vec(
        (
            any::<bool>(),
            prop::option::of(deal_cents()),
            prop::option::of("[A-Za-z ]{0,12}"),
        ),
        0..40,
    )
    .prop_map(|leads| {
        leads
            .into_iter()
            .enumerate()
            .map(|(i, (won, deal_amount_cents, company))| BillableLead {
                id: format!("L{i}"),
                email: format!("lead{i}@example.com"),
                company,
                won,
                deal_amount_cents,
            })
            .collect()
    })
}

/// The term covering `month`, found by scanning every term.
fn covering_terms(config: &BillingConfig, month: &Month) -> Vec<i64> {
    config
        .billing_terms
        .iter()
        .filter(|t| {
            t.start_month.as_str() <= month.as_str()
                && t.end_month
                    .as_ref()
                    .is_none_or(|e| month.as_str() <= e.as_str())
        })
        .map(|t| t.value)
        .collect()
}

/// Half up, from the exact product in i128.
fn half_up(deal_cents: i64, basis_points: i64) -> i64 {
    let exact = i128::from(deal_cents) * i128::from(basis_points);
    let (whole, rest) = (exact / 10_000, exact % 10_000);
    i64::try_from(whole + i128::from(rest * 2 >= 10_000)).unwrap()
}

proptest! {
    #[test]
    fn a_months_charges_add_up(config in config(), leads in leads(), month in 0u32..200) {
        let month = Month::parse(&month_text(month)).unwrap();
        let lines = charges(&config, &month, &leads);
        let sum: i64 = lines.iter().map(|c| c.amount_cents).sum();
        prop_assert_eq!(total(&lines), sum);
        prop_assert!(total(&lines) >= 0);
        prop_assert!(lines.iter().all(|c| c.amount_cents > 0), "{lines:?}");

        let covering = covering_terms(&config, &month);
        prop_assert!(covering.len() <= 1, "terms overlap: {covering:?}");
        prop_assert_eq!(term_for(&config, &month).map(|t| t.value), covering.first().copied());

        let expected: Vec<(String, i64)> = match covering.first() {
            None => Vec::new(),
            Some(&value) => leads
                .iter()
                .filter_map(|lead| {
                    let amount = match config.billing_type {
                        BillingType::QualifiedLead => value,
                        BillingType::ClosedWonLead if lead.won => value,
                        BillingType::PercentageOfDeal if lead.won => {
                            half_up(lead.deal_amount_cents.unwrap_or(0), value)
                        }
                        _ => 0,
                    };
                    (amount > 0).then(|| (lead.id.clone(), amount))
                })
                .collect(),
        };
        let got: Vec<(String, i64)> =
            lines.iter().map(|c| (c.lead_id.clone(), c.amount_cents)).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn percentages_round_half_up_once_per_line(
        deal in deal_cents(),
        basis_points in basis_points(),
    ) {
        prop_assert_eq!(pc_billing::billing_math::percent_of(deal, basis_points), half_up(deal, basis_points));
    }
}
