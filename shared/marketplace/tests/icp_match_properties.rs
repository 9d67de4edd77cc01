//! Properties of the ICP match: the score stays within 0–100, a lead
//! identical to a complete profile scores 100, and a field missing on
//! either side never raises the score.

use std::collections::BTreeMap;

use proptest::prelude::*;

use pc_marketplace::icp_match::{LeadProfile, icp_match};

const KEYS: [&str; 4] = ["industry", "companySize", "country", "title"];

fn field() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[A-Za-z ,;|&-]{0,16}".prop_map(Some),
        "[0-9]{1,4}(-[0-9]{1,5}|\\+)?".prop_map(Some),
        prop::sample::select(vec![
            "US",
            "USA",
            "United States",
            "Retail",
            "SaaS",
            "11-200",
            "500+"
        ])
        .prop_map(|s| Some(s.to_owned())),
    ]
}

fn profile() -> impl Strategy<Value = [Option<String>; 4]> {
    [field(), field(), field(), field()]
}

fn lead(values: &[Option<String>; 4]) -> LeadProfile<'_> {
    LeadProfile {
        industry: values[0].as_deref(),
        company_size: values[1].as_deref(),
        country: values[2].as_deref(),
        title: values[3].as_deref(),
    }
}

fn icp(values: &[Option<String>; 4]) -> BTreeMap<String, String> {
    KEYS.iter()
        .zip(values)
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect()
}

proptest! {
    #[test]
    fn score_is_within_range(wanted in profile(), values in profile()) {
        let m = icp_match(&icp(&wanted), &lead(&values));
        prop_assert!((0..=100).contains(&m.score));
        prop_assert_eq!(m.reasons.len(), 4);
    }

    #[test]
    fn identical_complete_profiles_score_100(values in [
        "[A-Za-z][A-Za-z ,;|&-]{0,15}",
        "[0-9]{1,4}(-[0-9]{1,5}|\\+)?|[A-Za-z]{1,8}",
        "[A-Za-z][A-Za-z ]{0,15}",
        "[A-Za-z][A-Za-z ]{0,15}",
    ]) {
        let values = values.map(Some);
        prop_assert_eq!(icp_match(&icp(&values), &lead(&values)).score, 100);
    }

    #[test]
    fn a_missing_field_never_raises_the_score(
        wanted in profile(),
        values in profile(),
        which in 0usize..4,
        on_lead in any::<bool>(),
    ) {
        let full = icp_match(&icp(&wanted), &lead(&values)).score;
        let (mut wanted_less, mut values_less) = (wanted.clone(), values.clone());
        if on_lead { values_less[which] = None } else { wanted_less[which] = None }
        let less = icp_match(&icp(&wanted_less), &lead(&values_less)).score;
        prop_assert!(less <= full, "{less} > {full}");
    }
}
