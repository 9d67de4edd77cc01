//! The secrets of each function: one Secrets Manager secret per key, named
//! `<SecretNamePrefix><KEY>` (`partner-connector/prod/JWT_SIGNING_KEY`) and
//! created before the first deploy. Only the secrets [`Function::secrets`]
//! derives from a function's table entry (what the handler declares, and
//! the keys of the clients it is granted) reach it: their names in its
//! environment (`JWT_SIGNING_KEY_NAME`...), never a value, and a policy
//! letting its role read exactly those secrets. The function reads the
//! values at start (`pc_aws::secrets`).
//!
//! Checking sessions takes no secret: the functions that do
//! ([`Function::checks_sessions`]) are given the public keys of session
//! tokens in `JWT_PUBLIC_KEYS`, from the [`PUBLIC_KEYS_PARAMETER`].
//!
//! One prefix parameter rather than one ARN parameter per secret: a nested
//! stack takes the one parameter (SAM allows 60 per application), and an
//! operator names the secrets once. A secret's ARN ends in `-` and six
//! random characters Secrets Manager adds, so the policy names
//! `<prefix><KEY>-??????`, which matches that one secret and no other.

use serde_yaml::{Mapping, Value};

use pc_http::functions::Function;
use pc_platform::config::Secret;

use crate::template::{insert, int, map, r, s, seq, sub};

/// The parameter holding the secrets' common name prefix.
pub const PREFIX_PARAMETER: &str = "SecretNamePrefix";

/// The parameter listing the public keys of session tokens.
pub const PUBLIC_KEYS_PARAMETER: &str = "JwtPublicKeys";

/// The public keys parameter's declaration in the root template: not a
/// secret, so a plain parameter passed to the functions that check
/// sessions; each key is checked again when a function starts.
pub fn public_keys_parameter() -> Value {
    map([
        ("Type", s("String")),
        (
            "Description",
            s(
                "Public keys verifying session tokens, comma-separated, the current one first (a previous one stays listed during a rotation): each the base64 line of `openssl pkey -in <JWT_SIGNING_KEY's PEM> -pubout` (docs/operations.md).",
            ),
        ),
        (
            "AllowedPattern",
            s("^[A-Za-z0-9+/]+={0,2}( *, *[A-Za-z0-9+/]+={0,2})*$"),
        ),
        ("MinLength", int(1)),
    ])
}

/// `JWT_PUBLIC_KEYS` for a function that checks sessions.
pub fn public_keys_variable(function: &Function) -> Mapping {
    let mut variables = Mapping::new();
    if function.checks_sessions() {
        insert(
            &mut variables,
            pc_platform::session_keys::PUBLIC_KEYS_VARIABLE,
            r(PUBLIC_KEYS_PARAMETER),
        );
    }
    variables
}

/// The prefix parameter's declaration in the root template.
pub fn prefix_parameter(functions: &[Function]) -> Value {
    let keys: Vec<&str> = deployed(functions)
        .into_iter()
        .map(|secret| secret.env_name())
        .collect();
    map([
        ("Type", s("String")),
        (
            "Description",
            s(format!(
                "Common prefix of the Secrets Manager secrets, one per key, each holding its value as plain text: <prefix>{} (docs/operations.md).",
                keys.join(", <prefix>")
            )),
        ),
        ("Default", s("partner-connector/prod/")),
        ("AllowedPattern", s("^[A-Za-z0-9/_+=.@-]{1,400}$")),
        ("MinLength", int(1)),
    ])
}

/// The name of `secret`'s secret, for the template.
fn name(secret: Secret) -> Value {
    sub(format!("${{{PREFIX_PARAMETER}}}{}", secret.env_name()))
}

/// The ARN pattern matching exactly `secret`'s secret.
fn arn(secret: Secret) -> Value {
    sub(format!(
        "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:${{{PREFIX_PARAMETER}}}{}-??????",
        secret.env_name()
    ))
}

/// The function's secret names, by variable (`JWT_SIGNING_KEY_NAME`).
pub fn variables(function: &Function) -> Mapping {
    let mut variables = Mapping::new();
    for secret in function.secrets() {
        insert(&mut variables, secret.name_variable(), name(secret));
    }
    variables
}

/// The policy reading exactly the function's secrets, when it has any.
/// `BatchGetSecretValue` itself takes no resource: it returns only the
/// secrets `GetSecretValue` allows.
pub fn policy(function: &Function) -> Option<Value> {
    let secrets = function.secrets();
    if secrets.is_empty() {
        return None;
    }
    Some(map([(
        "Statement",
        seq([
            map([
                ("Effect", s("Allow")),
                ("Action", seq([s("secretsmanager:GetSecretValue")])),
                ("Resource", seq(secrets.into_iter().map(arn))),
            ]),
            map([
                ("Effect", s("Allow")),
                ("Action", seq([s("secretsmanager:BatchGetSecretValue")])),
                ("Resource", s("*")),
            ]),
        ]),
    )]))
}

/// Every secret some deployed function holds: those that must exist
/// before a deploy.
pub fn deployed(functions: &[Function]) -> Vec<Secret> {
    let mut secrets: Vec<Secret> = functions.iter().flat_map(Function::secrets).collect();
    secrets.sort();
    secrets.dedup();
    secrets
}

/// The secret a generated name or policy pattern (the text of its
/// `Fn::Sub`) names, if any (tests over the generated templates).
pub fn secret_named(text: &str) -> Option<Secret> {
    let rest = text.split(&format!("${{{PREFIX_PARAMETER}}}")).nth(1)?;
    let key = rest.strip_suffix("-??????").unwrap_or(rest);
    Secret::ALL
        .into_iter()
        .find(|secret| secret.env_name() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_policy_patterns_name_exactly_one_secret() {
        let Value::Mapping(name) = name(Secret::JwtSigningKey) else {
            panic!("a Fn::Sub");
        };
        let text = name["Fn::Sub"].as_str().unwrap();
        assert_eq!(text, "${SecretNamePrefix}JWT_SIGNING_KEY");
        assert_eq!(secret_named(text), Some(Secret::JwtSigningKey));
        let Value::Mapping(arn) = arn(Secret::StripeSecretKey) else {
            panic!("a Fn::Sub");
        };
        let text = arn["Fn::Sub"].as_str().unwrap();
        assert!(text.ends_with(":secret:${SecretNamePrefix}STRIPE_SECRET_KEY-??????"));
        assert_eq!(secret_named(text), Some(Secret::StripeSecretKey));
        assert_eq!(secret_named("${SecretNamePrefix}STRIPE"), None);
    }
}
