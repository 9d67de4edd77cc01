//! `UpdateExpression`s: an update's set, remove and add lists merged into one
//! action per attribute (DynamoDB refuses two on one attribute) with the
//! result the embedded adapter's `apply_update` gives.

use aws_sdk_dynamodb::types::AttributeValue;
use pc_platform::store::{StoreError, Update};
use serde_json::Value;

use super::{Expressions, NOOP_ATTRIBUTE};

impl Expressions {
    /// An `UpdateExpression` (`SET .. REMOVE .. ADD ..`) for an update.
    pub fn update(&mut self, update: &Update) -> Result<String, StoreError> {
        let actions = plan_update(update)?;
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut add = Vec::new();
        for (attribute, action) in &actions {
            let name = self.name(attribute);
            match action {
                Action::Set(value) => {
                    let value = self.value(value)?;
                    set.push(format!("{name} = {value}"));
                }
                Action::Remove => remove.push(name),
                Action::Add(by) => {
                    let value = self.attribute(AttributeValue::N(by.to_string()));
                    add.push(format!("{name} {value}"));
                }
            }
        }
        if actions.is_empty() {
            remove.push(self.name(NOOP_ATTRIBUTE));
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        if !add.is_empty() {
            clauses.push(format!("ADD {}", add.join(", ")));
        }
        Ok(clauses.join(" "))
    }
}

/// What an update finally does to one attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Set(Value),
    Remove,
    Add(i64),
}

/// Merges an update's lists into one action per attribute, with the result
/// the embedded adapter's `apply_update` gives: sets first, then removes,
/// then adds (an add after a set or a remove becomes a set of the sum).
/// Refuses to touch the key, in the embedded adapter's words.
pub fn plan_update(update: &Update) -> Result<Vec<(String, Action)>, StoreError> {
    let touches_key = |a: &str| a == "pk" || a == "sk";
    if update.set.keys().any(|a| touches_key(a))
        || update.remove.iter().any(|a| touches_key(a))
        || update.add.iter().any(|(a, _)| touches_key(a))
    {
        return Err(StoreError::Invalid(
            "an update cannot change the key".into(),
        ));
    }
    let mut actions: Vec<(String, Action)> = Vec::new();
    fn slot<'a>(actions: &'a mut [(String, Action)], attribute: &str) -> Option<&'a mut Action> {
        actions
            .iter_mut()
            .find(|(a, _)| a == attribute)
            .map(|(_, action)| action)
    }
    for (attribute, value) in &update.set {
        actions.push((attribute.clone(), Action::Set(value.clone())));
    }
    for attribute in &update.remove {
        match slot(&mut actions, attribute) {
            Some(action) => *action = Action::Remove,
            None => actions.push((attribute.clone(), Action::Remove)),
        }
    }
    for (attribute, by) in &update.add {
        let overflow = || StoreError::Invalid(format!("{attribute} overflows"));
        match slot(&mut actions, attribute) {
            Some(action) => {
                *action = match action {
                    Action::Set(Value::Null) | Action::Remove => Action::Set(Value::from(*by)),
                    Action::Set(value) => {
                        let current = value.as_i64().ok_or_else(|| {
                            StoreError::Invalid(format!("{attribute} is not an integer"))
                        })?;
                        Action::Set(Value::from(current.checked_add(*by).ok_or_else(overflow)?))
                    }
                    Action::Add(sum) => Action::Add(sum.checked_add(*by).ok_or_else(overflow)?),
                }
            }
            None => actions.push((attribute.clone(), Action::Add(*by))),
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::super::names;
    use super::*;
    use pc_platform::store::{Key, apply_update};
    use serde_json::json;

    #[test]
    fn updates_merge_actions_like_apply_update() {
        let key = Key::new("P", "S");
        let update = Update::new(key.clone())
            .set("a", 1)
            .set("b", "x")
            .set("n", Value::Null)
            .remove("b")
            .remove("c")
            .add("a", 2)
            .add("c", 5)
            .add("d", 1)
            .add("d", 1)
            .add("n", 4);
        let actions = plan_update(&update).unwrap();
        let mut predicted = apply_update(None, &update).unwrap();
        predicted.remove("pk");
        predicted.remove("sk");
        let mut sets = serde_json::Map::new();
        for (attribute, action) in &actions {
            match action {
                Action::Set(v) => {
                    sets.insert(attribute.clone(), v.clone());
                }
                Action::Add(by) => {
                    sets.insert(attribute.clone(), json!(by));
                }
                Action::Remove => assert!(!predicted.contains_key(attribute)),
            }
        }
        assert_eq!(sets, predicted);

        let mut e = Expressions::new();
        let text = e.update(&update).unwrap();
        assert_eq!(
            text,
            "SET #n0 = :v0, #n2 = :v1, #n3 = :v2 REMOVE #n1 ADD #n4 :v3"
        );
    }

    #[test]
    fn updates_refuse_the_key_and_non_integers() {
        let key = Key::new("P", "S");
        let err = plan_update(&Update::new(key.clone()).set("pk", "x")).unwrap_err();
        assert_eq!(
            err,
            StoreError::Invalid("an update cannot change the key".into())
        );
        let err = plan_update(&Update::new(key.clone()).remove("sk")).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));
        let err = plan_update(&Update::new(key.clone()).set("a", "x").add("a", 1)).unwrap_err();
        assert_eq!(err, StoreError::Invalid("a is not an integer".into()));
        let err =
            plan_update(&Update::new(key.clone()).add("a", i64::MAX).add("a", 1)).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));
    }

    #[test]
    fn an_empty_update_still_writes_the_item() {
        let mut e = Expressions::new();
        let text = e.update(&Update::new(Key::new("P", "S"))).unwrap();
        assert_eq!(text, "REMOVE #n0");
        assert_eq!(names(&e)["#n0"], NOOP_ATTRIBUTE);
    }
}
