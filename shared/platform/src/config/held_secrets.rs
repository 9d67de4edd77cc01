//! The secrets a function holds: read only when it declares them, checked
//! for length, and the encryption key parsed once at start (with the
//! previous key during a rotation). Separate from the plain settings because
//! a deployed function must not see what it does not declare.

use super::{Config, ConfigError, Mode, Settings};
use crate::secrets::{MissingSecret, Secret, SecretValue};

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    /// A secret: locally the environment's value or the development one;
    /// in Lambda only the secrets in `needs` are read, and each of them
    /// must be set and long enough.
    pub(super) fn secret(
        &self,
        secret: Secret,
        needs: &[Secret],
    ) -> Result<SecretValue, ConfigError> {
        let name = secret.env_name();
        let value = match self.mode {
            Mode::Local => self
                .get(name)
                .or_else(|| secret.local_default().map(str::to_owned)),
            Mode::Lambda if needs.contains(&secret) => {
                let value = self.get(name).ok_or(ConfigError::Missing(name))?;
                if value.len() < secret.min_length() {
                    return Err(ConfigError::Invalid {
                        name,
                        reason: format!("must be at least {} characters", secret.min_length()),
                    });
                }
                Some(value)
            }
            Mode::Lambda => None,
        };
        if secret == Secret::Encryption && value.as_deref().is_some_and(|v| parse_keys(v).is_none())
        {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be 64 hexadecimal characters, optionally followed by a comma and the previous key's 64".into(),
            });
        }
        Ok(SecretValue::new(secret, value))
    }
}

impl Config {
    /// This configuration without the secrets outside `held`: what a
    /// deployed function holding only those sees (tests of declarations).
    pub fn holding_only(mut self, held: &[Secret]) -> Self {
        for (secret, value) in [
            (Secret::Jwt, &mut self.jwt_secret),
            (Secret::MagicLink, &mut self.magic_link_secret),
            (Secret::Encryption, &mut self.encryption_key),
            (
                Secret::ChilipiperWebhook,
                &mut self.chilipiper_webhook_secret,
            ),
            (Secret::StripeSecretKey, &mut self.stripe_secret_key),
            (Secret::StripeWebhook, &mut self.stripe_webhook_secret),
            (
                Secret::StripeConnectWebhook,
                &mut self.stripe_connect_webhook_secret,
            ),
            (Secret::HubspotClientId, &mut self.hubspot_client_id),
            (Secret::HubspotClientSecret, &mut self.hubspot_client_secret),
        ] {
            if !held.contains(&secret) {
                *value = SecretValue::new(secret, None);
            }
        }
        self
    }

    /// The AES-256-GCM key of stored secrets.
    pub fn encryption_key_bytes(&self) -> Result<[u8; 32], MissingSecret> {
        let hex_text = self.encryption_key.expose()?;
        // Checked when the configuration was read.
        parse_keys(hex_text)
            .map(|(current, _)| current)
            .ok_or(MissingSecret(Secret::Encryption))
    }

    /// The key stored tokens were encrypted with before the last rotation
    /// (`ENCRYPTION_KEY=<new>,<previous>`), still accepted to decrypt
    /// until every token was encrypted again with the new one.
    pub fn previous_encryption_key_bytes(&self) -> Option<[u8; 32]> {
        parse_keys(self.encryption_key.expose().ok()?).and_then(|(_, previous)| previous)
    }
}

/// The current key and, after a comma, the previous one.
fn parse_keys(text: &str) -> Option<([u8; 32], Option<[u8; 32]>)> {
    match text.split_once(',') {
        None => Some((parse_key(text.trim())?, None)),
        Some((current, previous)) => Some((
            parse_key(current.trim())?,
            Some(parse_key(previous.trim())?),
        )),
    }
}

fn parse_key(hex_text: &str) -> Option<[u8; 32]> {
    if hex_text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex_text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{KEY, lambda};
    use super::*;

    #[test]
    fn a_function_holds_only_the_secrets_it_declares() {
        let health = lambda(&[], &[]).unwrap();
        for value in [
            &health.jwt_secret,
            &health.stripe_secret_key,
            &health.encryption_key,
        ] {
            assert!(!value.is_present(), "{value:?}");
        }
        assert_eq!(health.jwt_secret.expose(), Err(MissingSecret(Secret::Jwt)));
        // Nothing it does not need is required: no secret at all is set.
        let bare = lambda(&[], &Secret::ALL.map(|s| (s.env_name(), None))).unwrap();
        assert!(!bare.chilipiper_webhook_secret.is_present());
        let signed_in = lambda(&[Secret::Jwt, Secret::Encryption], &[]).unwrap();
        assert_eq!(signed_in.jwt_secret.expose(), Ok("x".repeat(40).as_str()));
        assert_eq!(signed_in.encryption_key_bytes().unwrap()[1], 1);
        assert_eq!(signed_in.previous_encryption_key_bytes(), None);
        let previous = "ff".repeat(32);
        let rotating = lambda(
            &[Secret::Encryption],
            &[("ENCRYPTION_KEY", Some(&format!("{KEY},{previous}")))],
        )
        .unwrap();
        assert_eq!(rotating.encryption_key_bytes().unwrap()[1], 1);
        assert_eq!(rotating.previous_encryption_key_bytes(), Some([0xff; 32]));
        assert!(
            lambda(
                &[Secret::Encryption],
                &[("ENCRYPTION_KEY", Some(&format!("{KEY},abc")))]
            )
            .is_err()
        );
        assert!(!signed_in.magic_link_secret.is_present());
    }

    #[test]
    fn short_secrets_and_bad_keys_are_refused() {
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
        let err = lambda(&[Secret::Jwt], &[("JWT_SECRET", Some("short"))]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "JWT_SECRET",
                ..
            }
        ));
        // A short secret the function does not hold is not its concern.
        assert!(lambda(&[], &[("JWT_SECRET", Some("short"))]).is_ok());
    }
}
