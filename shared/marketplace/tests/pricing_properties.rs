//! Properties of the pricing engine: the suggestion is always within the
//! listing bounds in whole dollars with its reasons; filling a field, a
//! bigger deal, more demand or a younger lead never lowers it.

use proptest::prelude::*;

use pc_marketplace::listing_api::{MAX_PRICE_CENTS, MIN_PRICE_CENTS};
use pc_marketplace::pricing::{PriceInputs, suggest_price};

fn inputs() -> impl Strategy<Value = PriceInputs> {
    (
        proptest::array::uniform8(any::<bool>()),
        -10i64..5_000,
        prop_oneof![
            Just(None),
            (0i64..100_000_000).prop_map(Some),
            any::<i64>().prop_map(Some)
        ],
        prop_oneof![0i64..40, any::<i64>()],
    )
        .prop_map(
            |(f, age_days, deal_amount_cents, matching_partners)| PriceInputs {
                phone: f[0],
                company: f[1],
                title: f[2],
                industry: f[3],
                website: f[4],
                country: f[5],
                company_size: f[6],
                name: f[7],
                age_days,
                deal_amount_cents,
                matching_partners,
            },
        )
}

fn price(inputs: &PriceInputs) -> i64 {
    suggest_price(inputs).price_cents
}

proptest! {
    #[test]
    fn within_bounds_in_whole_dollars_with_reasons(i in inputs()) {
        let s = suggest_price(&i);
        prop_assert!((MIN_PRICE_CENTS..=MAX_PRICE_CENTS).contains(&s.price_cents));
        prop_assert_eq!(s.price_cents % 100, 0);
        prop_assert!(s.reasons.len() >= 4);
        prop_assert_eq!(suggest_price(&i), s, "deterministic");
    }

    #[test]
    fn filling_a_field_never_lowers_it(i in inputs(), field in 0usize..8) {
        let mut more = i.clone();
        match field {
            0 => more.phone = true,
            1 => more.company = true,
            2 => more.title = true,
            3 => more.industry = true,
            4 => more.website = true,
            5 => more.country = true,
            6 => more.company_size = true,
            _ => more.name = true,
        }
        prop_assert!(price(&more) >= price(&i));
    }

    #[test]
    fn more_demand_never_lowers_it(i in inputs(), extra in 0i64..50) {
        let more = PriceInputs {
            matching_partners: i.matching_partners.max(0).saturating_add(extra),
            ..i.clone()
        };
        prop_assert!(price(&more) >= price(&i));
    }

    #[test]
    fn a_bigger_deal_never_lowers_it(i in inputs(), extra in 0i64..10_000_000) {
        let more = PriceInputs {
            deal_amount_cents: Some(i.deal_amount_cents.unwrap_or(0).max(0).saturating_add(extra)),
            ..i.clone()
        };
        prop_assert!(price(&more) >= price(&i));
    }

    #[test]
    fn an_older_lead_is_never_worth_more(i in inputs(), extra in 0i64..1_000) {
        let older = PriceInputs { age_days: i.age_days.saturating_add(extra), ..i.clone() };
        prop_assert!(price(&older) <= price(&i));
    }
}

#[test]
fn a_rich_profile_is_priced_above_a_bare_email() {
    let bare = PriceInputs::default();
    let rich = PriceInputs {
        phone: true,
        company: true,
        title: true,
        industry: true,
        website: true,
        country: true,
        company_size: true,
        name: true,
        ..PriceInputs::default()
    };
    assert!(price(&rich) > price(&bare));
}
