//! `ConditionExpression`s for the store port's [`Condition`]s: existence,
//! equality and ordering tests, and their `AND`/`OR` combinations, with the
//! constants that stand for comparisons DynamoDB would refuse.

use pc_platform::store::{Condition, StoreError};
use serde_json::Value;

use super::Expressions;

impl Expressions {
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
}

#[cfg(test)]
mod tests {
    use super::super::names;
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use serde_json::json;

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
}
