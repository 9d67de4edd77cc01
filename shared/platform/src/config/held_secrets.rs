//! The secrets a process holds. Locally: the environment's values or the
//! development ones, checked (length, the encryption key's format). A
//! deployed function: only the names of the secrets it declares, each of
//! which must be set; their values are read at start. Separate from the
//! plain settings because a deployed function must not see what it does
//! not declare.

use super::{Config, ConfigError, Mode, Settings};
use crate::secrets::{Keyring, MissingSecret, Secret, check};

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    /// The keyring and, in Lambda, the name (or ARN) in the secret store of
    /// each secret in `needs`.
    pub(super) fn secrets(
        &self,
        needs: &[Secret],
    ) -> Result<(Keyring, Vec<(Secret, String)>), ConfigError> {
        match self.mode {
            Mode::Local => {
                let mut values = Vec::new();
                for secret in Secret::ALL {
                    let name = secret.env_name();
                    let Some(value) = self
                        .get(name)
                        .or_else(|| secret.local_default().map(str::to_owned))
                    else {
                        continue;
                    };
                    check(secret, &value)
                        .map_err(|reason| ConfigError::Invalid { name, reason })?;
                    values.push((secret, value));
                }
                Ok((Keyring::fixed(values), Vec::new()))
            }
            Mode::Lambda => {
                let mut ids = Vec::new();
                for secret in needs {
                    let name = secret.name_variable();
                    ids.push((*secret, self.get(name).ok_or(ConfigError::Missing(name))?));
                }
                Ok((Keyring::to_load(needs), ids))
            }
        }
    }
}

impl Config {
    /// This configuration without the secrets outside `held`: what a
    /// deployed function holding only those sees (tests of declarations).
    pub fn holding_only(mut self, held: &[Secret]) -> Self {
        self.secrets = self.secrets.holding_only(held);
        self
    }

    /// The AES-256-GCM keys of stored secrets: the first encrypts, the
    /// others (older keys during a rotation) still decrypt.
    pub fn encryption_keys(&self) -> Result<Vec<[u8; 32]>, MissingSecret> {
        self.secrets.encryption_keys()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{KEY, lambda};
    use super::*;

    #[test]
    fn a_function_is_told_only_the_names_of_the_secrets_it_declares() {
        let health = lambda(&[], &[]).unwrap();
        assert!(health.secret_ids.is_empty());
        assert!(!health.secrets.holds(Secret::OauthState));
        assert_eq!(
            health.secrets.current(Secret::OauthState).unwrap_err(),
            MissingSecret(Secret::OauthState)
        );
        // No secret value is read from a deployed function's environment.
        let signed_in = lambda(
            &[Secret::OauthState, Secret::Encryption],
            &[("OAUTH_STATE_SECRET", Some(&"v".repeat(40)))],
        )
        .unwrap();
        assert_eq!(
            signed_in.secret_ids,
            vec![
                (Secret::OauthState, "x".repeat(40)),
                (Secret::Encryption, "x".repeat(40))
            ]
        );
        assert_eq!(
            signed_in.secrets.held(),
            &[Secret::OauthState, Secret::Encryption]
        );
        assert!(
            !signed_in.secrets.holds(Secret::OauthState),
            "read at start, not from the environment"
        );
        let err = lambda(&[Secret::Encryption], &[("ENCRYPTION_KEY_NAME", None)]).unwrap_err();
        assert_eq!(err, ConfigError::Missing("ENCRYPTION_KEY_NAME"));
    }

    #[test]
    fn local_secrets_are_checked_and_the_encryption_key_may_list_older_keys() {
        let err = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "ENCRYPTION_KEY").then(|| "abc".into())
        })
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "ENCRYPTION_KEY",
                ..
            }
        ));
        let err = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "OAUTH_STATE_SECRET").then(|| "short".into())
        })
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "OAUTH_STATE_SECRET",
                ..
            }
        ));
        let previous = "ff".repeat(32);
        let rotating = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "ENCRYPTION_KEY").then(|| format!("{KEY},{previous}"))
        })
        .unwrap();
        let keys = rotating.encryption_keys().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0][1], 1);
        assert_eq!(keys[1], [0xff; 32]);
        let only = rotating.holding_only(&[Secret::OauthState]);
        assert!(only.encryption_keys().is_err());
        assert!(only.secrets.holds(Secret::OauthState));
    }
}
