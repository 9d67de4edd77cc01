//! A partner's webhook signing secret. The server generates it (256 random
//! bits, `whsec_` and 64 hex digits) when a webhook is first set and when
//! the partner asks for a rotation, shows it in that one answer, and keeps
//! it only AES-256-GCM encrypted, bound to the partner (a ciphertext copied
//! onto another partner does not open). A secret stored in clear by an
//! earlier version is encrypted the next time the preferences are saved.

use rand::RngCore;

use pc_platform::cipher::{CipherError, FieldCipher, Sealed};
use pc_platform::config::Config;

use crate::partners_store::{NotificationPreferences, WebhookPreferences};

/// What every secret starts with, so one pasted in the wrong place is
/// recognisable.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh secret: 32 bytes from the operating system's generator, in hex.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

/// The associated data of a partner's sealed secret.
fn context(partner_id: &str) -> String {
    format!("webhook-secret:{partner_id}")
}

/// Encrypts `secret` for `partner_id`.
pub fn seal(cipher: &FieldCipher, partner_id: &str, secret: &str) -> Sealed {
    cipher.seal(secret, &context(partner_id))
}

/// The plaintext secret of a webhook (`None`: it has none).
pub fn open(
    cipher: &FieldCipher,
    partner_id: &str,
    hook: &WebhookPreferences,
) -> Result<Option<String>, CipherError> {
    match &hook.sealed_secret {
        Some(sealed) => cipher.open(sealed, &context(partner_id)).map(Some),
        None if !hook.secret.is_empty() => Ok(Some(hook.secret.clone())),
        None => Ok(None),
    }
}

/// Gives `prefs`' webhook a new sealed secret when `issue` is set, and
/// seals a secret still stored in clear; answers the new secret, to be
/// shown once.
pub fn settle(
    config: &Config,
    partner_id: &str,
    prefs: &mut NotificationPreferences,
    issue: bool,
) -> Result<Option<String>, CipherError> {
    let Some(hook) = prefs.webhook.as_mut() else {
        return Ok(None);
    };
    let cipher = FieldCipher::from_config(config)?;
    if issue {
        let secret = generate();
        hook.sealed_secret = Some(seal(&cipher, partner_id, &secret));
        hook.secret.clear();
        return Ok(Some(secret));
    }
    if hook.sealed_secret.is_none() && !hook.secret.is_empty() {
        hook.sealed_secret = Some(seal(&cipher, partner_id, &hook.secret));
        hook.secret.clear();
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook() -> NotificationPreferences {
        NotificationPreferences {
            webhook: Some(WebhookPreferences {
                url: "https://hooks.example.com".into(),
                secret: String::new(),
                sealed_secret: None,
                events: vec!["*".into()],
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_issued_secret_is_256_bits_stored_only_sealed_and_bound_to_the_partner() {
        let config = Config::local_defaults();
        let mut prefs = hook();
        let shown = settle(&config, "p1", &mut prefs, true).unwrap().unwrap();
        assert!(shown.starts_with(SECRET_PREFIX));
        assert_eq!(shown.len(), SECRET_PREFIX.len() + 64);
        let stored = prefs.webhook.as_ref().unwrap();
        assert!(stored.secret.is_empty());
        let wire = serde_json::to_string(stored).unwrap();
        assert!(!wire.contains(&shown[SECRET_PREFIX.len()..]));
        let cipher = FieldCipher::from_config(&config).unwrap();
        assert_eq!(open(&cipher, "p1", stored).unwrap(), Some(shown));
        assert!(open(&cipher, "p2", stored).is_err());
        assert_ne!(generate(), generate());
    }

    #[test]
    fn a_secret_stored_in_clear_is_sealed_on_the_next_save() {
        let config = Config::local_defaults();
        let mut prefs = hook();
        prefs.webhook.as_mut().unwrap().secret = "legacy-secret-1234".into();
        assert_eq!(settle(&config, "p1", &mut prefs, false).unwrap(), None);
        let stored = prefs.webhook.as_ref().unwrap();
        assert!(stored.secret.is_empty() && stored.sealed_secret.is_some());
        let cipher = FieldCipher::from_config(&config).unwrap();
        assert_eq!(
            open(&cipher, "p1", stored).unwrap().as_deref(),
            Some("legacy-secret-1234")
        );
    }
}
