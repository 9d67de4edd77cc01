//! The keys of session tokens (EdDSA over Ed25519). The private key
//! ([`Secret::JwtSigningKey`](crate::config::Secret::JwtSigningKey)) is a
//! secret that only the functions issuing sessions hold: what
//! `openssl genpkey -algorithm ed25519` writes (PKCS#8 PEM). Every function
//! that checks sessions verifies with the public keys of its environment
//! ([`PUBLIC_KEYS_VARIABLE`]), which are not secret: it reads nothing from
//! the secret store for them, and holds nothing that could mint a session.
//!
//! Each public key is named by a key id (`kid`) derived from the key
//! itself, which the signer puts in the token's header: during a rotation
//! the environment lists the new key and the previous one, and a token
//! names the one that verifies it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// The environment variable listing the public keys, current first.
pub const PUBLIC_KEYS_VARIABLE: &str = "JWT_PUBLIC_KEYS";

/// The development key pair of the dev server and the tests (generated
/// once with `openssl genpkey -algorithm ed25519`); a deployed function
/// never falls back on it.
pub(crate) const DEV_SIGNING_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILv/4K9HpCr0+1tIhgT/IxhaaecRtM49PBYs7nZ5Zw/s
-----END PRIVATE KEY-----
";
/// The public half of [`DEV_SIGNING_KEY`], as `JWT_PUBLIC_KEYS` lists it.
pub const DEV_PUBLIC_KEYS: &str = "MCowBQYDK2VwAyEAEy1cLJ5xkrCFpDJU8gJ8HkLGlv+oM23qJavqIQJmZ2M=";

/// The DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410,
/// section 4): the algorithm identifier and the bit string's header, then
/// the 32 bytes of the key. DER has one encoding, so a key is exactly this.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// One public key that verifies session tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The key id tokens signed with its private key carry ([`key_id`]).
    pub kid: String,
    /// The raw 32 bytes of the Ed25519 key.
    pub key: [u8; 32],
}

impl PublicKey {
    fn new(key: [u8; 32]) -> Self {
        Self {
            kid: key_id(&key),
            key,
        }
    }

    /// The key as `JWT_PUBLIC_KEYS` lists it (what [`parse_public_keys`] reads).
    pub fn to_base64(&self) -> String {
        STANDARD.encode([&ED25519_SPKI_PREFIX[..], &self.key].concat())
    }
}

/// A function that checks sessions was deployed without the public keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "JWT_PUBLIC_KEYS is not configured for this function; the template gives it to every function that checks sessions"
)]
pub struct MissingPublicKeys;

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.kid)
    }
}

/// The key id of a public key: the first 12 bytes of its SHA-256,
/// base64url. Derived, so an operator has nothing to name or keep in step.
pub fn key_id(key: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(key)[..12])
}

/// The public keys of `JWT_PUBLIC_KEYS`: comma-separated, each the base64
/// line of `openssl pkey -in <private key> -pubout` (its `SubjectPublicKeyInfo`).
pub fn parse_public_keys(text: &str) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for (n, entry) in text.split(',').map(str::trim).enumerate() {
        let der = STANDARD.decode(entry).map_err(|_| {
            format!(
                "key {} is not base64: give the line between BEGIN PUBLIC KEY and END PUBLIC KEY of `openssl pkey -in <key.pem> -pubout`",
                n + 1
            )
        })?;
        let key: [u8; 32] = der
            .strip_prefix(&ED25519_SPKI_PREFIX)
            .and_then(|raw| raw.try_into().ok())
            .ok_or_else(|| format!("key {} is not an Ed25519 public key", n + 1))?;
        let public = PublicKey::new(key);
        if !keys.contains(&public) {
            keys.push(public);
        }
    }
    Ok(keys)
}

/// A private key that signs session tokens, parsed from its PEM text.
pub struct SigningKey {
    /// The PKCS#8 document, which the JWT signer reads.
    pub pkcs8: Vec<u8>,
    /// Its public half.
    pub public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, <redacted>)", self.public.kid)
    }
}

impl SigningKey {
    /// Parses `openssl genpkey -algorithm ed25519`'s output (PKCS#8 v1
    /// PEM; v2, which also carries the public key, is accepted too).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let refused =
            || "must be an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)";
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.trim().as_bytes())
            .map_err(|_| refused().to_owned())?;
        let pkcs8 = der.secret_pkcs8_der().to_vec();
        // `maybe_unchecked`: OpenSSL writes PKCS#8 v1, without the public
        // key for ring to check against; ring derives it.
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map_err(|_| refused().to_owned())?;
        let public: [u8; 32] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| refused().to_owned())?;
        Ok(Self {
            public: PublicKey::new(public),
            pkcs8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_public_key_is_the_dev_signing_keys() {
        let signing = SigningKey::from_pem(DEV_SIGNING_KEY).unwrap();
        let public = parse_public_keys(DEV_PUBLIC_KEYS).unwrap();
        assert_eq!(public.len(), 1);
        assert_eq!(public[0], signing.public);
        assert_eq!(public[0].kid.len(), 16);
        assert_eq!(signing.public.to_base64(), DEV_PUBLIC_KEYS);
    }

    #[test]
    fn public_keys_list_in_order_and_bad_ones_are_named() {
        let other = "MCowBQYDK2VwAyEAaOPhshMhxzHggVE2uL7U478Y9XKt/5q+P0CJXKwd8mU=";
        let keys = parse_public_keys(&format!("{other}, {DEV_PUBLIC_KEYS}")).unwrap();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0].kid, keys[1].kid);
        assert_eq!(keys[1], parse_public_keys(DEV_PUBLIC_KEYS).unwrap()[0]);

        let error = parse_public_keys(&format!("{DEV_PUBLIC_KEYS},not base64!")).unwrap_err();
        assert!(error.contains("key 2 is not base64"), "{error}");
        // A P-256 public key (openssl genpkey -algorithm ec).
        let p256 = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/JXuFSNqP0o5rI2aUtg/lClfYyJVzTkcRjyH/NwInFXZ57T8mH0EbSKRtQGg4OgpQ3s81fmKFBrALlqTFensTA==";
        let error = parse_public_keys(p256).unwrap_err();
        assert!(
            error.contains("key 1 is not an Ed25519 public key"),
            "{error}"
        );
        // The private key's line is not a public key either.
        let error =
            parse_public_keys("MC4CAQAwBQYDK2VwBCIEILv/4K9HpCr0+1tIhgT/IxhaaecRtM49PBYs7nZ5Zw/s")
                .unwrap_err();
        assert!(error.contains("not an Ed25519 public key"), "{error}");
    }

    #[test]
    fn only_an_ed25519_pkcs8_pem_signs() {
        assert!(SigningKey::from_pem(DEV_SIGNING_KEY).is_ok());
        assert!(
            format!("{:?}", SigningKey::from_pem(DEV_SIGNING_KEY).unwrap()).contains("redacted")
        );
        for bad in [
            "dev-jwt-secret-change-me-0123456789abcdef",
            // The public key's PEM.
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAEy1cLJ5xkrCFpDJU8gJ8HkLGlv+oM23qJavqIQJmZ2M=\n-----END PUBLIC KEY-----\n",
            // A PKCS#8 document holding no Ed25519 key (bytes changed).
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VxBCIEILv/4K9HpCr0+1tIhgT/IxhaaecRtM49PBYs7nZ5Zw/s\n-----END PRIVATE KEY-----\n",
        ] {
            let error = SigningKey::from_pem(bad).unwrap_err();
            assert!(
                error.contains("openssl genpkey -algorithm ed25519"),
                "{error}"
            );
        }
    }
}
