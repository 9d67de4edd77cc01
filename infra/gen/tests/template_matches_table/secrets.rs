//! Secrets are references, never text, and reach only the functions that
//! use them.

use std::collections::BTreeSet;

use pc_infra::deployed_functions;
use pc_platform::config::Secret;

use crate::template_yaml::{template, text};

#[test]
fn secrets_are_references_never_text_and_only_where_used() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    for f in deployed_functions() {
        let id = pc_infra::names::function_id(f.name);
        let variables =
            &template["Resources"][id.as_str()]["Properties"]["Environment"]["Variables"];
        let held: BTreeSet<String> = Secret::ALL
            .iter()
            .map(|secret| secret.env_name())
            .filter(|key| variables.get(*key).is_some())
            .map(str::to_owned)
            .collect();
        let expected: BTreeSet<String> = f
            .secrets()
            .iter()
            .map(|secret| secret.env_name().to_owned())
            .collect();
        assert_eq!(held, expected, "{}: secrets", f.name);
        for key in &held {
            let value = text(&variables[key.as_str()]["Fn::Sub"]);
            assert!(
                value.starts_with("{{resolve:secretsmanager:${AppSecretName}:SecretString:")
                    && value.ends_with(&format!(":{key}}}}}")),
                "{}: {key} must be a Secrets Manager reference, is {:?}",
                f.name,
                variables[key.as_str()]
            );
        }
    }
    for secret in Secret::ALL {
        assert!(
            globals.get(secret.env_name()).is_none(),
            "{secret} must not be given to every function"
        );
    }
    let health = pc_infra::names::function_id("health");
    assert!(
        template["Resources"][health.as_str()]["Properties"]
            .get("Environment")
            .is_none(),
        "health holds no secret"
    );
}
