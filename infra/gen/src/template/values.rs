//! The YAML values the template is written with: mappings in a fixed key
//! order, sequences, strings, numbers, and CloudFormation's `Ref`,
//! `Fn::GetAtt` and `Fn::Sub`.

use serde_yaml::{Mapping, Value};

use super::NAME_PREFIX;

/// A mapping whose keys keep the order they are given in.
pub(crate) fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

pub(crate) fn seq(items: impl IntoIterator<Item = Value>) -> Value {
    Value::Sequence(items.into_iter().collect())
}

pub(crate) fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

pub(crate) fn r(logical_id: &str) -> Value {
    map([("Ref", s(logical_id))])
}

pub(crate) fn get_att(logical_id: &str, attribute: &str) -> Value {
    map([("Fn::GetAtt", seq([s(logical_id), s(attribute)]))])
}

pub(crate) fn sub(text: impl Into<String>) -> Value {
    map([("Fn::Sub", s(text))])
}

pub(crate) fn int(n: u64) -> Value {
    Value::Number(n.into())
}

/// A name of the stack's resources: `partner-connector-${Stage}-<suffix>`.
pub(crate) fn stage_name(suffix: &str) -> Value {
    sub(format!("{NAME_PREFIX}-${{Stage}}-{suffix}"))
}

/// `Metadata` that tells cfn-lint to skip `rules` on this resource only:
/// the deliberate exceptions, each explained where it is made.
pub(crate) fn lint_exceptions(rules: &[&str]) -> Value {
    map([(
        "cfn-lint",
        map([(
            "config",
            map([("ignore_checks", seq(rules.iter().map(|r| s(*r))))]),
        )]),
    )])
}

pub(crate) fn insert(mapping: &mut Mapping, key: impl Into<String>, value: Value) {
    mapping.insert(Value::String(key.into()), value);
}
