//! What a sync does with one lead, decided field by field against the
//! values both sides held at the last sync: changed on our side only →
//! sent to HubSpot; changed in HubSpot only → applied to the lead; changed
//! on both sides to different values → a conflict, and the field is left
//! alone on both sides until it is resolved. A lead never synced sends
//! everything. A field with an open conflict is skipped.

use crate::hubspot_fields::FieldValues;
use crate::links_store::SyncRecord;

/// The decision for one lead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadPlan {
    /// Fields to send to HubSpot, with our values.
    pub push: FieldValues,
    /// Fields to apply to the lead, with HubSpot's values.
    pub pull: FieldValues,
    /// Fields changed on both sides: (field, ours, theirs, base).
    pub conflicts: Vec<(String, String, String, String)>,
    /// The values both sides hold once the plan is carried out (conflicted
    /// fields keep their old base).
    pub synced: FieldValues,
}

/// Decides for one lead. `theirs` holds HubSpot's values of the linked
/// objects (a field HubSpot did not answer counts as unchanged there).
pub fn plan_lead(ours: &FieldValues, theirs: &FieldValues, record: &SyncRecord) -> LeadPlan {
    let mut plan = LeadPlan::default();
    if record.last_synced_at.is_none() {
        plan.push = ours.clone();
        plan.synced = ours.clone();
        return plan;
    }
    for (field, our) in ours {
        let base = record.synced.get(field).cloned().unwrap_or_default();
        if record.open_conflicts.contains_key(field) {
            plan.synced.insert(field.clone(), base);
            continue;
        }
        let their = theirs.get(field).cloned().unwrap_or_else(|| base.clone());
        let ours_changed = *our != base;
        let theirs_changed = their != base;
        match (ours_changed, theirs_changed) {
            (true, true) if *our != their => {
                plan.conflicts
                    .push((field.clone(), our.clone(), their.clone(), base.clone()));
                plan.synced.insert(field.clone(), base);
            }
            (true, false) => {
                plan.push.insert(field.clone(), our.clone());
                plan.synced.insert(field.clone(), our.clone());
            }
            (false, true) => {
                plan.pull.insert(field.clone(), their.clone());
                plan.synced.insert(field.clone(), their);
            }
            _ => {
                plan.synced.insert(field.clone(), our.clone());
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> FieldValues {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn synced_record(base: &[(&str, &str)]) -> SyncRecord {
        SyncRecord {
            synced: values(base),
            last_synced_at: Some(1),
            ..SyncRecord::default()
        }
    }

    #[test]
    fn a_lead_never_synced_sends_everything() {
        let ours = values(&[("firstName", "Ann"), ("dealStatus", "new")]);
        let plan = plan_lead(&ours, &FieldValues::new(), &SyncRecord::default());
        assert_eq!(plan.push, ours);
        assert!(plan.pull.is_empty() && plan.conflicts.is_empty());
    }

    #[test]
    fn each_side_s_change_goes_to_the_other_and_both_make_a_conflict() {
        let record = synced_record(&[
            ("firstName", "Ann"),
            ("company", "A"),
            ("dealStatus", "new"),
            ("phone", "1"),
        ]);
        let ours = values(&[
            ("firstName", "Anna"),
            ("company", "A"),
            ("dealStatus", "won"),
            ("phone", "2"),
        ]);
        let theirs = values(&[
            ("firstName", "Ann"),
            ("company", "B"),
            ("dealStatus", "lost_no_show"),
            ("phone", "2"),
        ]);
        let plan = plan_lead(&ours, &theirs, &record);
        assert_eq!(plan.push, values(&[("firstName", "Anna")]));
        assert_eq!(plan.pull, values(&[("company", "B")]));
        assert_eq!(
            plan.conflicts,
            vec![(
                "dealStatus".into(),
                "won".into(),
                "lost_no_show".into(),
                "new".into()
            )]
        );
        // The same change on both sides is no conflict.
        assert_eq!(plan.synced["phone"], "2");
        assert_eq!(plan.synced["dealStatus"], "new");
    }

    #[test]
    fn a_field_in_conflict_is_left_alone() {
        let mut record = synced_record(&[("firstName", "Ann")]);
        record
            .open_conflicts
            .insert("firstName".into(), "c1".into());
        let plan = plan_lead(
            &values(&[("firstName", "Bo")]),
            &values(&[("firstName", "Cy")]),
            &record,
        );
        assert!(plan.push.is_empty() && plan.pull.is_empty() && plan.conflicts.is_empty());
    }
}
