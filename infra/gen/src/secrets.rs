//! The secrets of each function: only those [`Function::secrets`] derives
//! from its table entry (what the handler declares, and the token key for
//! routes behind the auth layer) reach its environment, each as a Secrets
//! Manager dynamic reference that CloudFormation resolves at deploy time.
//! The template never holds a secret's value. (SSM SecureString
//! references cannot feed Lambda environment variables, hence Secrets
//! Manager.)

use serde_yaml::{Mapping, Value};

use pc_api::functions::Function;
use pc_platform::config::Secret;

use crate::template::{insert, sub};

/// The parameter naming the secret whose JSON holds every key.
pub const SECRET_NAME_PARAMETER: &str = "AppSecretName";

/// The dynamic reference to one key of the app's secret.
pub fn reference(secret: Secret) -> Value {
    sub(format!(
        "{{{{resolve:secretsmanager:${{{SECRET_NAME_PARAMETER}}}:SecretString:{}}}}}",
        secret.env_name()
    ))
}

/// The function's secret environment variables.
pub fn variables(function: &Function) -> Mapping {
    let mut variables = Mapping::new();
    for secret in function.secrets() {
        insert(&mut variables, secret.env_name(), reference(secret));
    }
    variables
}

/// Every secret some deployed function holds: the keys the app's secret
/// must have before a deploy (a reference to a missing key fails it).
pub fn deployed(functions: &[Function]) -> Vec<Secret> {
    let mut secrets: Vec<Secret> = functions.iter().flat_map(Function::secrets).collect();
    secrets.sort();
    secrets.dedup();
    secrets
}
