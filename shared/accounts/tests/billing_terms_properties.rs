//! Properties of billing terms as `PUT /v1/partners/{id}/billing` accepts
//! them: any set of terms in which two cover a common month is refused
//! with a `billingTerms` error, any set without is accepted, and in an
//! accepted set every month is covered by at most one term.

use proptest::prelude::*;
use serde_json::{Number, json};

use pc_accounts::billing_config::{BillingConfigView, parse};

/// Months as counts from January 2000; `None` ends never.
type Span = (u32, Option<u32>);

fn month_text(index: u32) -> String {
    format!("{}-{:02}", 2000 + index / 12, index % 12 + 1)
}

fn view(spans: &[Span]) -> BillingConfigView {
    let terms: Vec<_> = spans
        .iter()
        .map(|(start, end)| {
            json!({"startMonth": month_text(*start), "endMonth": end.map(month_text),
                "value": Number::from(50)})
        })
        .collect();
    serde_json::from_value(json!({"billingType": "qualified_lead", "billingTerms": terms}))
        .expect("a well-formed view")
}

fn covers(span: &Span, month: u32) -> bool {
    span.0 <= month && span.1.is_none_or(|end| month <= end)
}

/// Computed apart from the code under test: two spans overlap when each
/// starts no later than the other ends.
fn any_overlap(spans: &[Span]) -> bool {
    let ends_after = |span: &Span, month: u32| span.1.is_none_or(|end| end >= month);
    spans.iter().enumerate().any(|(i, a)| {
        spans
            .iter()
            .skip(i + 1)
            .any(|b| ends_after(a, b.0) && ends_after(b, a.0))
    })
}

/// Random spans over ~8 years: often overlapping, sometimes not.
fn random_spans() -> impl Strategy<Value = Vec<Span>> {
    prop::collection::vec(
        (0u32..96, prop::option::weighted(0.8, 0u32..24))
            .prop_map(|(start, length)| (start, length.map(|l| start + l))),
        1..6,
    )
}

/// Spans laid end to end with gaps, the last maybe open-ended, shuffled.
fn disjoint_spans() -> impl Strategy<Value = Vec<Span>> {
    (
        prop::collection::vec((0u32..6, 0u32..18), 1..8),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(steps, open_end, rotation)| {
            let mut next = 0;
            let mut spans: Vec<Span> = steps
                .iter()
                .map(|(gap, length)| {
                    let start = next + gap;
                    next = start + length + 1;
                    (start, Some(start + length))
                })
                .collect();
            if open_end && let Some(last) = spans.last_mut() {
                last.1 = None;
            }
            let by = rotation.index(spans.len());
            spans.rotate_left(by);
            spans
        })
}

proptest! {
    #[test]
    fn overlapping_terms_are_refused_and_the_others_accepted(spans in random_spans()) {
        let parsed = parse("p", &view(&spans), "");
        if any_overlap(&spans) {
            let errors = parsed.expect_err("overlapping terms are refused");
            prop_assert!(errors.iter().any(|e| e.field == "billingTerms"), "{errors:?}");
        } else {
            prop_assert!(parsed.is_ok(), "{spans:?}: {:?}", parsed.err());
        }
    }

    #[test]
    fn disjoint_terms_are_accepted_and_cover_each_month_once_at_most(
        spans in disjoint_spans(),
        month in 0u32..400,
    ) {
        prop_assert!(!any_overlap(&spans));
        let config = parse("p", &view(&spans), "").expect("disjoint terms are accepted");
        prop_assert_eq!(config.billing_terms.len(), spans.len());
        let covering = spans.iter().filter(|s| covers(s, month)).count();
        prop_assert!(covering <= 1);
        let stored = config
            .billing_terms
            .iter()
            .filter(|t| {
                let text = month_text(month);
                t.start_month.as_str() <= text.as_str()
                    && t.end_month.as_ref().is_none_or(|e| text.as_str() <= e.as_str())
            })
            .count();
        prop_assert_eq!(stored, covering);
    }
}
