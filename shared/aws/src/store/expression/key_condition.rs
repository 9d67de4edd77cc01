//! `KeyConditionExpression`s for queries, and the rewrite of sort-key
//! conditions DynamoDB refuses (empty strings, backwards bounds) into ones
//! with the embedded adapter's answer.

use pc_platform::store::{Index, SortKey};

use super::Expressions;

impl Expressions {
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
    use super::super::names;
    use super::*;

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
}
