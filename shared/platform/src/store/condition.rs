//! Write conditions, evaluated in memory by the embedded adapter and turned
//! into a `ConditionExpression` by the DynamoDB adapter.

use std::cmp::Ordering;

use serde_json::Value;

use super::Item;

/// A condition on the item a write targets, as it is before the write.
/// Comparisons against a missing attribute are false, as in DynamoDB;
/// [`Condition::NotEquals`] is also true when the attribute is missing.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The item does not exist.
    NotExists,
    /// The item exists.
    Exists,
    /// The attribute is absent (or the item does not exist).
    Missing(String),
    /// The attribute is present.
    Present(String),
    Equals(String, Value),
    NotEquals(String, Value),
    LessThan(String, Value),
    LessOrEqual(String, Value),
    GreaterThan(String, Value),
    GreaterOrEqual(String, Value),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

impl Condition {
    pub fn equals(attr: &str, value: impl Into<Value>) -> Self {
        Condition::Equals(attr.to_owned(), value.into())
    }

    pub fn not_equals(attr: &str, value: impl Into<Value>) -> Self {
        Condition::NotEquals(attr.to_owned(), value.into())
    }

    pub fn missing(attr: &str) -> Self {
        Condition::Missing(attr.to_owned())
    }

    pub fn present(attr: &str) -> Self {
        Condition::Present(attr.to_owned())
    }

    pub fn less_than(attr: &str, value: impl Into<Value>) -> Self {
        Condition::LessThan(attr.to_owned(), value.into())
    }

    pub fn and(self, other: Condition) -> Self {
        match self {
            Condition::And(mut all) => {
                all.push(other);
                Condition::And(all)
            }
            first => Condition::And(vec![first, other]),
        }
    }

    /// Whether the condition holds for `item` (`None`: no such item).
    pub fn holds(&self, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.get(name)).filter(|v| !v.is_null());
        match self {
            Condition::NotExists => item.is_none(),
            Condition::Exists => item.is_some(),
            Condition::Missing(a) => attr(a).is_none(),
            Condition::Present(a) => attr(a).is_some(),
            Condition::Equals(a, v) => {
                attr(a).is_some_and(|x| compare(x, v) == Some(Ordering::Equal))
            }
            Condition::NotEquals(a, v) => {
                attr(a).is_none_or(|x| compare(x, v) != Some(Ordering::Equal))
            }
            Condition::LessThan(a, v) => {
                attr(a).is_some_and(|x| compare(x, v) == Some(Ordering::Less))
            }
            Condition::LessOrEqual(a, v) => attr(a)
                .is_some_and(|x| matches!(compare(x, v), Some(Ordering::Less | Ordering::Equal))),
            Condition::GreaterThan(a, v) => {
                attr(a).is_some_and(|x| compare(x, v) == Some(Ordering::Greater))
            }
            Condition::GreaterOrEqual(a, v) => attr(a).is_some_and(|x| {
                matches!(compare(x, v), Some(Ordering::Greater | Ordering::Equal))
            }),
            Condition::And(all) => all.iter().all(|c| c.holds(item)),
            Condition::Or(any) => any.iter().any(|c| c.holds(item)),
        }
    }
}

/// Orders two values of the same kind; values of different kinds do not compare.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::Bool(x), Value::Bool(y)) => (x == y).then_some(Ordering::Equal),
        _ => (a == b).then_some(Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn existence() {
        let i = item(json!({"pk": "a", "sk": "b", "n": 1}));
        assert!(Condition::Exists.holds(Some(&i)));
        assert!(!Condition::NotExists.holds(Some(&i)));
        assert!(Condition::NotExists.holds(None));
        assert!(Condition::missing("x").holds(Some(&i)));
        assert!(Condition::missing("x").holds(None));
        assert!(!Condition::present("x").holds(Some(&i)));
    }

    #[test]
    fn comparisons_on_missing_attributes_are_false_but_not_equals_is_true() {
        let i = item(json!({"pk": "a", "sk": "b"}));
        assert!(!Condition::equals("v", 1).holds(Some(&i)));
        assert!(!Condition::less_than("v", 1).holds(Some(&i)));
        assert!(Condition::not_equals("v", 1).holds(Some(&i)));
        assert!(Condition::not_equals("v", 1).holds(None));
    }

    #[test]
    fn numbers_and_strings_compare_by_kind() {
        let i = item(json!({"pk": "a", "sk": "b", "n": 5, "s": "m", "f": 2.5}));
        assert!(Condition::less_than("n", 6).holds(Some(&i)));
        assert!(!Condition::less_than("n", 5).holds(Some(&i)));
        assert!(Condition::GreaterOrEqual("n".into(), json!(5)).holds(Some(&i)));
        assert!(Condition::less_than("s", "z").holds(Some(&i)));
        assert!(!Condition::less_than("s", 1).holds(Some(&i)));
        assert!(Condition::GreaterThan("f".into(), json!(2)).holds(Some(&i)));
        assert!(
            Condition::equals("n", 5)
                .and(Condition::equals("s", "m"))
                .holds(Some(&i))
        );
        assert!(
            Condition::Or(vec![Condition::equals("n", 4), Condition::equals("s", "m")])
                .holds(Some(&i))
        );
    }
}
