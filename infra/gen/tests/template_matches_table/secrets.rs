//! No secret value is in any function's configuration: a function is
//! given the names of the secrets it uses, and its role may read exactly
//! those (read from the generated templates, every nested stack inlined).

use std::collections::BTreeSet;

use pc_infra::deployed_functions;
use pc_infra::secrets::secret_named;
use pc_platform::config::Secret;
use serde_yaml::Value;

use crate::template_yaml::{template, text};

/// The secrets a policy resource (one pattern or a list) names; any other
/// resource (`*`, a bare ARN) is returned as is, to be refused.
fn named(resource: &Value) -> Vec<Result<Secret, String>> {
    match resource {
        Value::Sequence(items) => items.iter().flat_map(named).collect(),
        other => {
            let pattern = text(&other["Fn::Sub"]);
            vec![secret_named(&pattern).ok_or_else(|| format!("{other:?}"))]
        }
    }
}

/// The secrets `properties`' role may read with `GetSecretValue`.
fn readable(name: &str, properties: &Value) -> BTreeSet<Secret> {
    let mut readable = BTreeSet::new();
    for policy in properties["Policies"].as_sequence().into_iter().flatten() {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            let actions = format!("{:?}", statement["Action"]);
            assert!(
                !actions.contains("secretsmanager:*"),
                "{name}: every Secrets Manager action"
            );
            if actions.contains("secretsmanager:GetSecretValue") {
                for secret in named(&statement["Resource"]) {
                    let secret = secret.unwrap_or_else(|other| {
                        panic!("{name}: GetSecretValue on {other}, not one secret")
                    });
                    readable.insert(secret);
                }
            }
        }
    }
    readable
}

fn function_properties(template: &Value, function: &str) -> Value {
    let id = pc_infra::names::function_id(function);
    template["Resources"][id.as_str()]["Properties"].clone()
}

#[test]
fn functions_get_secret_names_never_values_and_read_only_their_own() {
    let template = template();
    let rendered = serde_yaml::to_string(&template).unwrap();
    assert!(
        !rendered.contains("resolve:secretsmanager"),
        "no secret is resolved into a template"
    );
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    for f in deployed_functions() {
        let properties = function_properties(&template, f.name);
        let variables = &properties["Environment"]["Variables"];
        for secret in Secret::ALL {
            assert!(
                variables.get(secret.env_name()).is_none(),
                "{}: {secret} is a value in the environment",
                f.name
            );
        }
        let expected: BTreeSet<Secret> = f.secrets().into_iter().collect();
        let mut given = BTreeSet::new();
        for secret in Secret::ALL {
            if let Some(value) = variables.get(secret.name_variable()) {
                assert_eq!(
                    secret_named(&text(&value["Fn::Sub"])),
                    Some(secret),
                    "{}: {} names another secret",
                    f.name,
                    secret.name_variable()
                );
                given.insert(secret);
            }
        }
        assert_eq!(given, expected, "{}: secret names", f.name);
        assert_eq!(
            readable(f.name, &properties),
            expected,
            "{}: readable secrets",
            f.name
        );
    }
    for secret in Secret::ALL {
        assert!(
            globals.get(secret.env_name()).is_none()
                && globals.get(secret.name_variable()).is_none(),
            "{secret} must not be given to every function"
        );
    }
    assert!(
        function_properties(&template, "health")
            .get("Environment")
            .is_none(),
        "health holds no secret"
    );
}

#[test]
fn the_chilipiper_webhook_cannot_read_the_stripe_key() {
    let template = template();
    let properties = function_properties(&template, "meetings-chilipiper-webhook");
    let readable = readable("meetings-chilipiper-webhook", &properties);
    assert_eq!(
        readable,
        BTreeSet::from([Secret::ChilipiperWebhook]),
        "the ChiliPiper webhook reads its own secret, nothing else"
    );
    assert!(!readable.contains(&Secret::StripeSecretKey));
}

#[test]
fn only_the_functions_issuing_sessions_hold_the_signing_key() {
    let template = template();
    let holders: BTreeSet<&str> = deployed_functions()
        .into_iter()
        .filter(|f| {
            readable(f.name, &function_properties(&template, f.name))
                .contains(&Secret::JwtSigningKey)
        })
        .map(|f| f.name)
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from([
            "auth-sign-in",
            "auth-token-refresh",
            "auth-complete-registration",
            "auth-verify-registration",
        ])
    );
}

#[test]
fn functions_checking_sessions_get_the_public_keys_and_no_secret_for_them() {
    let template = template();
    let variable = pc_platform::session_keys::PUBLIC_KEYS_VARIABLE;
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert!(
        globals.get(variable).is_none(),
        "only where sessions are checked"
    );
    let mut checking = 0;
    for f in deployed_functions() {
        let properties = function_properties(&template, f.name);
        let given = properties["Environment"]["Variables"].get(variable);
        if f.checks_sessions() {
            checking += 1;
            assert_eq!(
                given.and_then(|v| v["Ref"].as_str()),
                Some(pc_infra::secrets::PUBLIC_KEYS_PARAMETER),
                "{}: {variable}",
                f.name
            );
        } else {
            assert!(given.is_none(), "{}: {variable} unused", f.name);
        }
    }
    assert!(checking > 80, "{checking} functions check sessions");
    // A route behind the auth layer (and sign-out, which reads the
    // session it ends) holds no secret at all: no name, no policy, no
    // call to Secrets Manager at start.
    for name in ["auth-me", "leads-list", "auth-sign-out", "realtime-connect"] {
        let f = deployed_functions()
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} is deployed"));
        assert!(f.checks_sessions(), "{name} checks sessions");
        assert!(f.secrets().is_empty(), "{name}: {:?}", f.secrets());
        let properties = function_properties(&template, name);
        assert!(
            readable(name, &properties).is_empty(),
            "{name} reads no secret"
        );
        let rendered = serde_yaml::to_string(&properties).unwrap();
        assert!(!rendered.contains("secretsmanager"), "{name}: {rendered}");
    }
}
