//! Turns the store port's [`Condition`]s, [`Update`]s and key conditions
//! into DynamoDB expressions with generated `#nN` name and `:vN` value
//! placeholders, so attribute names never clash with reserved words.
//!
//! The translation keeps the embedded adapter's semantics:
//!
//! - a JSON `null` attribute counts as absent (DynamoDB keeps it as a `NULL`
//!   attribute, so `Missing`/`Present` also test `attribute_type(.., NULL)`);
//! - comparisons against a missing attribute are false, and `NotEquals` is
//!   true when the attribute is missing (`attribute_not_exists(a) OR a <> v`);
//! - ordering comparisons hold between strings or between numbers only
//!   (guarded by `attribute_type`); comparisons against `null`, and ordering
//!   comparisons against values that are neither strings nor numbers, are
//!   constant (false, or true for `NotEquals`), where DynamoDB would refuse
//!   the expression;
//! - an update's set, remove and add lists are merged per attribute in the
//!   order the embedded adapter applies them (set, then remove, then add),
//!   since DynamoDB refuses two actions on one attribute.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pc_platform::store::{Condition, Index, SortKey, StoreError, Update};
use serde_json::Value;

/// The attribute an update without any action removes, so that DynamoDB
/// still creates the item when it is missing (as an empty update does in
/// the embedded adapter). No item ever holds it.
pub const NOOP_ATTRIBUTE: &str = "__pc_noop";

/// `ExpressionAttributeNames`: placeholder → attribute name.
pub type Names = HashMap<String, String>;
/// `ExpressionAttributeValues`: placeholder → value.
pub type Values = HashMap<String, AttributeValue>;

/// The placeholders of one request's expressions.
#[derive(Debug, Default)]
pub struct Expressions {
    /// placeholder → attribute name
    names: HashMap<String, String>,
    /// attribute name → placeholder
    by_attribute: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    /// DynamoDB type name → placeholder
    type_names: HashMap<String, String>,
}

/// A JSON value as a DynamoDB attribute value.
pub fn attribute_value(value: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::Invalid(format!("value not storable in DynamoDB: {e}")))
}

impl Expressions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `#nN` placeholder of an attribute name (one per name).
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some(placeholder) = self.by_attribute.get(attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.by_attribute
            .insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    /// A new `:vN` placeholder for an attribute value.
    pub fn attribute(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// A new `:vN` placeholder for a JSON value.
    pub fn value(&mut self, value: &Value) -> Result<String, StoreError> {
        Ok(self.attribute(attribute_value(value)?))
    }

    fn string(&mut self, text: &str) -> String {
        self.attribute(AttributeValue::S(text.to_owned()))
    }

    /// The placeholder of a DynamoDB type name (`S`, `N`, `NULL`), one per type.
    fn type_name(&mut self, kind: &str) -> String {
        if let Some(placeholder) = self.type_names.get(kind) {
            return placeholder.clone();
        }
        let placeholder = self.string(kind);
        self.type_names.insert(kind.to_owned(), placeholder.clone());
        placeholder
    }

    fn null_type(&mut self) -> String {
        self.type_name("NULL")
    }

    /// An expression that always holds.
    fn always(&mut self) -> String {
        let pk = self.name("pk");
        format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
    }

    /// An expression that never holds.
    fn never(&mut self) -> String {
        let pk = self.name("pk");
        format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))")
    }

    /// An ordering comparison, true only between values of the same kind.
    /// The `attribute_type` guard states that rule in the expression (moto
    /// fails on a string compared with a number, where DynamoDB answers false).
    fn compare(
        &mut self,
        attribute: &str,
        operator: &str,
        value: &Value,
    ) -> Result<String, StoreError> {
        let kind = match value {
            Value::String(_) => "S",
            Value::Number(_) => "N",
            _ => return Ok(self.never()),
        };
        let name = self.name(attribute);
        let kind = self.type_name(kind);
        let value = self.value(value)?;
        Ok(format!(
            "(attribute_type({name}, {kind}) AND {name} {operator} {value})"
        ))
    }

    /// A `ConditionExpression` for a condition.
    pub fn condition(&mut self, condition: &Condition) -> Result<String, StoreError> {
        Ok(match condition {
            Condition::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Condition::Exists => format!("attribute_exists({})", self.name("pk")),
            Condition::Missing(attribute) => {
                let name = self.name(attribute);
                let null = self.null_type();
                format!("(attribute_not_exists({name}) OR attribute_type({name}, {null}))")
            }
            Condition::Present(attribute) => {
                let name = self.name(attribute);
                let null = self.null_type();
                format!("(attribute_exists({name}) AND NOT attribute_type({name}, {null}))")
            }
            Condition::Equals(attribute, value) => {
                if value.is_null() {
                    self.never()
                } else {
                    let name = self.name(attribute);
                    let value = self.value(value)?;
                    format!("{name} = {value}")
                }
            }
            Condition::NotEquals(attribute, value) => {
                if value.is_null() {
                    self.always()
                } else {
                    let name = self.name(attribute);
                    let value = self.value(value)?;
                    format!("(attribute_not_exists({name}) OR {name} <> {value})")
                }
            }
            Condition::LessThan(attribute, value) => self.compare(attribute, "<", value)?,
            Condition::LessOrEqual(attribute, value) => self.compare(attribute, "<=", value)?,
            Condition::GreaterThan(attribute, value) => self.compare(attribute, ">", value)?,
            Condition::GreaterOrEqual(attribute, value) => self.compare(attribute, ">=", value)?,
            Condition::And(all) if all.is_empty() => self.always(),
            Condition::Or(any) if any.is_empty() => self.never(),
            Condition::And(all) => self.join(all, " AND ")?,
            Condition::Or(any) => self.join(any, " OR ")?,
        })
    }

    fn join(&mut self, conditions: &[Condition], operator: &str) -> Result<String, StoreError> {
        let parts = conditions
            .iter()
            .map(|c| self.condition(c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(operator)))
    }

    /// A `KeyConditionExpression` on `index`. The sort key must be
    /// [`effective_sort_key`]'s answer (DynamoDB refuses empty strings).
    pub fn key_condition(&mut self, index: Index, pk: &str, sk: &SortKey) -> String {
        let (pk_attribute, sk_attribute) = index.key_attributes();
        let pk_name = self.name(pk_attribute);
        let pk_value = self.string(pk);
        let partition = format!("{pk_name} = {pk_value}");
        let sort = match sk {
            SortKey::Any => return partition,
            SortKey::Eq(v) => self.sort_compare(sk_attribute, "=", v),
            SortKey::Lt(v) => self.sort_compare(sk_attribute, "<", v),
            SortKey::Lte(v) => self.sort_compare(sk_attribute, "<=", v),
            SortKey::Gt(v) => self.sort_compare(sk_attribute, ">", v),
            SortKey::Gte(v) => self.sort_compare(sk_attribute, ">=", v),
            SortKey::BeginsWith(prefix) => {
                let name = self.name(sk_attribute);
                let value = self.string(prefix);
                format!("begins_with({name}, {value})")
            }
            SortKey::Between(lo, hi) => {
                let name = self.name(sk_attribute);
                let lo = self.string(lo);
                let hi = self.string(hi);
                format!("{name} BETWEEN {lo} AND {hi}")
            }
        };
        format!("{partition} AND {sort}")
    }

    fn sort_compare(&mut self, attribute: &str, operator: &str, value: &str) -> String {
        let name = self.name(attribute);
        let value = self.string(value);
        format!("{name} {operator} {value}")
    }

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

    /// The `ExpressionAttributeNames` and `ExpressionAttributeValues`, each
    /// `None` when empty (DynamoDB refuses empty maps).
    pub fn into_parts(self) -> (Option<Names>, Option<Values>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
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

/// The sort-key condition to send for `sk`, or `None` when no item can
/// match it. DynamoDB refuses empty strings in key conditions and `BETWEEN`
/// with bounds backwards, where the embedded adapter answers no items; no
/// sort key is empty ([`pc_platform::store::validate_key`]), which makes
/// these rewrites exact.
pub fn effective_sort_key(sk: &SortKey) -> Option<SortKey> {
    match sk {
        SortKey::Eq(v) | SortKey::Lt(v) | SortKey::Lte(v) if v.is_empty() => None,
        SortKey::BeginsWith(v) | SortKey::Gt(v) | SortKey::Gte(v) if v.is_empty() => {
            Some(SortKey::Any)
        }
        SortKey::Between(lo, hi) if lo > hi || hi.is_empty() => None,
        SortKey::Between(lo, hi) if lo.is_empty() => Some(SortKey::Lte(hi.clone())),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::{Key, apply_update};
    use serde_json::json;

    fn names(e: &Expressions) -> HashMap<String, String> {
        e.names.clone()
    }

    #[test]
    fn conditions_use_placeholders_and_keep_embedded_semantics() {
        let mut e = Expressions::new();
        let c = Condition::equals("status", "new")
            .and(Condition::not_equals("owner", "a"))
            .and(Condition::missing("deleted"));
        let text = e.condition(&c).unwrap();
        assert_eq!(
            text,
            "(#n0 = :v0 AND (attribute_not_exists(#n1) OR #n1 <> :v1) AND \
             (attribute_not_exists(#n2) OR attribute_type(#n2, :v2)))"
        );
        assert_eq!(names(&e)["#n0"], "status");
        let (_, values) = e.into_parts();
        assert_eq!(values.unwrap()[":v2"], AttributeValue::S("NULL".into()));
    }

    #[test]
    fn ordering_compares_values_of_one_kind() {
        let mut e = Expressions::new();
        let text = e
            .condition(
                &Condition::less_than("n", 3).and(Condition::GreaterThan("s".into(), json!("a"))),
            )
            .unwrap();
        assert_eq!(
            text,
            "((attribute_type(#n0, :v0) AND #n0 < :v1) AND (attribute_type(#n1, :v2) AND #n1 > :v3))"
        );
        let (_, values) = e.into_parts();
        let values = values.unwrap();
        assert_eq!(values[":v0"], AttributeValue::S("N".into()));
        assert_eq!(values[":v2"], AttributeValue::S("S".into()));
    }

    #[test]
    fn existence_tests_the_partition_key() {
        let mut e = Expressions::new();
        assert_eq!(
            e.condition(&Condition::NotExists).unwrap(),
            "attribute_not_exists(#n0)"
        );
        assert_eq!(
            e.condition(&Condition::Exists).unwrap(),
            "attribute_exists(#n0)"
        );
        assert_eq!(names(&e).len(), 1);
        let (_, values) = e.into_parts();
        assert!(values.is_none(), "no values: DynamoDB refuses an empty map");
    }

    #[test]
    fn comparisons_that_cannot_hold_become_constants() {
        let mut e = Expressions::new();
        let never = e.condition(&Condition::less_than("flag", true)).unwrap();
        assert!(never.contains("attribute_exists(#n0) AND attribute_not_exists(#n0)"));
        let never = e.condition(&Condition::equals("a", Value::Null)).unwrap();
        assert!(never.contains(" AND "));
        let always = e
            .condition(&Condition::not_equals("a", Value::Null))
            .unwrap();
        assert!(always.contains(" OR "));
        assert_eq!(e.condition(&Condition::Or(vec![])).unwrap(), never);
        assert_eq!(e.condition(&Condition::And(vec![])).unwrap(), always);
    }

    #[test]
    fn key_conditions_for_every_sort_key() {
        let cases = [
            (SortKey::Any, "#n0 = :v0"),
            (SortKey::Eq("a".into()), "#n0 = :v0 AND #n1 = :v1"),
            (
                SortKey::BeginsWith("a".into()),
                "#n0 = :v0 AND begins_with(#n1, :v1)",
            ),
            (
                SortKey::Between("a".into(), "b".into()),
                "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2",
            ),
            (SortKey::Lt("a".into()), "#n0 = :v0 AND #n1 < :v1"),
            (SortKey::Lte("a".into()), "#n0 = :v0 AND #n1 <= :v1"),
            (SortKey::Gt("a".into()), "#n0 = :v0 AND #n1 > :v1"),
            (SortKey::Gte("a".into()), "#n0 = :v0 AND #n1 >= :v1"),
        ];
        for (sk, expected) in cases {
            let mut e = Expressions::new();
            assert_eq!(e.key_condition(Index::Gsi2, "P", &sk), expected, "{sk:?}");
            if sk != SortKey::Any {
                assert_eq!(names(&e)["#n1"], "gsi2sk");
            }
            assert_eq!(names(&e)["#n0"], "gsi2pk");
        }
    }

    #[test]
    fn empty_and_backwards_sort_keys() {
        let s = |v: &str| v.to_owned();
        assert_eq!(effective_sort_key(&SortKey::Eq(s(""))), None);
        assert_eq!(effective_sort_key(&SortKey::Lte(s(""))), None);
        assert_eq!(
            effective_sort_key(&SortKey::BeginsWith(s(""))),
            Some(SortKey::Any)
        );
        assert_eq!(effective_sort_key(&SortKey::Gt(s(""))), Some(SortKey::Any));
        assert_eq!(effective_sort_key(&SortKey::Between(s("b"), s("a"))), None);
        assert_eq!(
            effective_sort_key(&SortKey::Between(s(""), s("a"))),
            Some(SortKey::Lte(s("a")))
        );
        assert_eq!(
            effective_sort_key(&SortKey::Between(s("a"), s("a"))),
            Some(SortKey::Between(s("a"), s("a")))
        );
    }

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
