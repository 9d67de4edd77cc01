//! The secret store on Secrets Manager. A deployed function is told the
//! name of each secret it declares (`JWT_SIGNING_KEY_NAME`...); its role may
//! read exactly those. At start it reads their current values in one
//! `BatchGetSecretValue` call; a reload also reads the previous values
//! (`AWSPREVIOUS`, one `GetSecretValue` per secret, concurrently). Each
//! secret holds one value as a plain string (not JSON).

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use pc_platform::config::{Keyring, Secret};
use pc_platform::secrets::{SecretSource, SecretsError};

use crate::sdk_error::failure;

/// The stage Secrets Manager gives a value when a newer one replaces it.
pub const PREVIOUS_STAGE: &str = "AWSPREVIOUS";

/// Most secrets one `BatchGetSecretValue` names.
const BATCH_LIMIT: usize = 20;

/// The secrets of one function, by name (or ARN), on Secrets Manager.
pub struct SecretsManager {
    client: Client,
    ids: Vec<(Secret, String)>,
}

impl SecretsManager {
    /// `ids`: each secret's name or ARN.
    pub fn new(sdk: &SdkConfig, ids: Vec<(Secret, String)>) -> Self {
        Self {
            client: Client::new(sdk),
            ids,
        }
    }

    fn id(&self, secret: Secret) -> Result<&str, SecretsError> {
        self.ids
            .iter()
            .find(|(s, _)| *s == secret)
            .map(|(_, id)| id.as_str())
            .ok_or_else(|| SecretsError::Unreadable {
                secret,
                id: secret.name_variable().to_owned(),
                reason: "no name was given for it".into(),
            })
    }

    /// Reads `keyring`'s secrets into it (a deployed function's start).
    pub async fn load_into(self, keyring: &Keyring) -> Result<(), SecretsError> {
        keyring.attach(std::sync::Arc::new(self));
        keyring.load().await
    }
}

fn unavailable(error: impl std::fmt::Display) -> SecretsError {
    SecretsError::Unavailable(error.to_string())
}

#[async_trait]
impl SecretSource for SecretsManager {
    async fn current(&self, secrets: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError> {
        let wanted: Vec<(Secret, &str)> = secrets
            .iter()
            .map(|s| Ok((*s, self.id(*s)?)))
            .collect::<Result<_, SecretsError>>()?;
        let mut values = Vec::new();
        for chunk in wanted.chunks(BATCH_LIMIT) {
            let answer = self
                .client
                .batch_get_secret_value()
                .set_secret_id_list(Some(chunk.iter().map(|(_, id)| (*id).to_owned()).collect()))
                .send()
                .await
                .map_err(|e| unavailable(failure(&e)))?;
            for (secret, id) in chunk {
                // An entry answers to the ARN or the name it was asked by.
                let names =
                    |arn: Option<&str>, name: Option<&str>| arn == Some(*id) || name == Some(*id);
                let entry = answer
                    .secret_values()
                    .iter()
                    .find(|v| names(v.arn(), v.name()));
                match entry.and_then(|e| e.secret_string()) {
                    Some(value) => values.push((*secret, value.to_owned())),
                    None => {
                        let reason = answer
                            .errors()
                            .iter()
                            .find(|e| e.secret_id() == Some(*id))
                            .map(|e| {
                                format!(
                                    "{}: {}",
                                    e.error_code().unwrap_or("error"),
                                    e.message().unwrap_or_default()
                                )
                            })
                            .unwrap_or_else(|| "no string value".into());
                        return Err(SecretsError::Unreadable {
                            secret: *secret,
                            id: (*id).to_owned(),
                            reason,
                        });
                    }
                }
            }
        }
        Ok(values)
    }

    async fn previous(&self, secrets: &[Secret]) -> Result<Vec<(Secret, String)>, SecretsError> {
        let reads = secrets.iter().map(|secret| async move {
            let id = self.id(*secret)?;
            let answer = self
                .client
                .get_secret_value()
                .secret_id(id)
                .version_stage(PREVIOUS_STAGE)
                .send()
                .await;
            match answer {
                Ok(answer) => Ok(answer.secret_string().map(|v| (*secret, v.to_owned()))),
                // Never rotated: no value has the stage.
                Err(e) if failure(&e).code_is(&["ResourceNotFoundException"]) => Ok(None),
                Err(e) => Err(unavailable(failure(&e))),
            }
        });
        let read = futures::future::join_all(reads).await;
        read.into_iter().filter_map(Result::transpose).collect()
    }
}

/// Stores `keyring`'s values as secrets named `<prefix><ENV_NAME>` (created,
/// or given a new current value), the way an operator creates them before
/// a deploy; answers each one's ARN. For local AWS-compatible endpoints
/// (moto), so the dev server and the tests on AWS adapters read their
/// secrets from Secrets Manager as a deployed function does.
pub async fn store_local(
    sdk: &SdkConfig,
    prefix: &str,
    keyring: &Keyring,
) -> Result<Vec<(Secret, String)>, SecretsError> {
    let client = Client::new(sdk);
    let mut arns = Vec::new();
    for secret in keyring.held() {
        let Ok(value) = keyring.current(*secret) else {
            continue;
        };
        let name = format!("{prefix}{}", secret.env_name());
        let created = client
            .create_secret()
            .name(&name)
            .secret_string(&*value)
            .send()
            .await;
        let arn = match created {
            Ok(created) => created.arn().map(str::to_owned),
            Err(e) if failure(&e).code_is(&["ResourceExistsException"]) => client
                .put_secret_value()
                .secret_id(&name)
                .secret_string(&*value)
                .send()
                .await
                .map_err(|e| unavailable(failure(&e)))?
                .arn()
                .map(str::to_owned),
            Err(e) => return Err(unavailable(failure(&e))),
        };
        let arn = arn.ok_or_else(|| unavailable(format!("{name} has no ARN")))?;
        arns.push((*secret, arn));
    }
    Ok(arns)
}

#[cfg(test)]
mod tests;
