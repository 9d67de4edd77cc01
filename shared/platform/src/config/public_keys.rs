//! The public keys that verify session tokens (`JWT_PUBLIC_KEYS`). Not
//! secrets: a deployed function that checks sessions has them in its
//! environment and reads nothing at start for them. Locally they default
//! to the public half of the local signing key, so a dev server given
//! another `JWT_SIGNING_KEY` needs nothing else.

use super::{Config, ConfigError, Keyring, Mode, Secret, Settings};
use crate::session_keys::{
    MissingPublicKeys, PUBLIC_KEYS_VARIABLE, PublicKey, SigningKey, parse_public_keys,
};

pub(super) fn jwt_public_keys<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    secrets: &Keyring,
) -> Result<Vec<PublicKey>, ConfigError> {
    let invalid = |reason| ConfigError::Invalid {
        name: PUBLIC_KEYS_VARIABLE,
        reason,
    };
    if let Some(text) = s.get(PUBLIC_KEYS_VARIABLE) {
        return parse_public_keys(&text).map_err(invalid);
    }
    match s.mode {
        // Required of the functions that check sessions when they start
        // ([`Config::require_jwt_public_keys`]); the others have none.
        Mode::Lambda => Ok(Vec::new()),
        Mode::Local => {
            let pem = secrets
                .current(Secret::JwtSigningKey)
                .map_err(|e| invalid(e.to_string()))?;
            // Checked with the other local secrets.
            let signing = SigningKey::from_pem(&pem).map_err(invalid)?;
            Ok(vec![signing.public])
        }
    }
}

impl Config {
    /// The public keys that verify session tokens, current first.
    pub fn jwt_public_keys(&self) -> Result<&[PublicKey], MissingPublicKeys> {
        if self.jwt_public_keys.is_empty() {
            return Err(MissingPublicKeys);
        }
        Ok(&self.jwt_public_keys)
    }

    /// Stops a deployed function that checks sessions at start when its
    /// environment lists no public key.
    pub fn require_jwt_public_keys(&self) -> Result<(), ConfigError> {
        self.jwt_public_keys()
            .map(drop)
            .map_err(|_| ConfigError::Missing(PUBLIC_KEYS_VARIABLE))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::lambda;
    use super::*;
    use crate::session_keys::DEV_PUBLIC_KEYS;

    const OTHER: &str = "MCowBQYDK2VwAyEAaOPhshMhxzHggVE2uL7U478Y9XKt/5q+P0CJXKwd8mU=";

    #[test]
    fn a_deployed_function_reads_its_public_keys_from_its_environment() {
        let listed = format!("{OTHER},{DEV_PUBLIC_KEYS}");
        let config = lambda(&[], &[(PUBLIC_KEYS_VARIABLE, Some(&listed))]).unwrap();
        let keys = config.jwt_public_keys().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].to_base64(), OTHER);
        assert!(config.require_jwt_public_keys().is_ok());
        assert!(
            config.secret_ids.is_empty(),
            "no secret for the public keys"
        );

        let none = lambda(&[], &[(PUBLIC_KEYS_VARIABLE, None)]).unwrap();
        assert_eq!(none.jwt_public_keys().unwrap_err(), MissingPublicKeys);
        assert_eq!(
            none.require_jwt_public_keys().unwrap_err(),
            ConfigError::Missing("JWT_PUBLIC_KEYS")
        );

        let err = lambda(&[], &[(PUBLIC_KEYS_VARIABLE, Some("dev-jwt-secret"))]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { name: "JWT_PUBLIC_KEYS", reason } if reason.contains("key 1")),
            "{err}"
        );
    }

    #[test]
    fn locally_the_public_key_is_the_local_signing_keys() {
        let config = Config::local_defaults();
        assert_eq!(
            config.jwt_public_keys().unwrap()[0].to_base64(),
            DEV_PUBLIC_KEYS
        );
        let other_pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKbaHE43au6whASOMJcWSnRqdzJt+lfC+NLmeIhl30z5\n-----END PRIVATE KEY-----\n";
        let config = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "JWT_SIGNING_KEY").then(|| other_pem.into())
        })
        .unwrap();
        assert_eq!(config.jwt_public_keys().unwrap()[0].to_base64(), OTHER);
        let err = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "JWT_SIGNING_KEY").then(|| "x".repeat(40))
        })
        .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { name: "JWT_SIGNING_KEY", reason } if reason.contains("PKCS#8 PEM")),
            "{err}"
        );
    }
}
