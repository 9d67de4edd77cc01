//! The one signing algorithm tokens use, HS256 (RustCrypto's `hmac` and
//! `sha2`), installed as jsonwebtoken's crypto provider. jsonwebtoken's
//! own providers bring every JWT algorithm (RSA, ECDSA, EdDSA and their
//! big-integer and curve crates, about 0.35 MB of every function that
//! reads a session) although a token here is only ever HS256; any other
//! algorithm is refused twice: the validation pins HS256, and this
//! provider has nothing else to offer.

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;
use signature::{Signer, Verifier};

/// HMAC-SHA256 keyed with the token secret.
struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn keyed(secret: &[u8]) -> Result<Self> {
        Hmac::new_from_slice(secret)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidKeyFormat.into())
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        // `verify_slice` compares in constant time.
        mac.verify_slice(tag).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match algorithm {
        Algorithm::HS256 => Ok(Box::new(Hs256::keyed(key.try_get_hmac_secret()?)?)),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match algorithm {
        Algorithm::HS256 => Ok(Box::new(Hs256::keyed(key.try_get_hmac_secret()?)?)),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // Tokens never carry or read JWKs.
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes HS256 jsonwebtoken's provider for this process; every use of
/// jsonwebtoken calls this first (it is one atomic load after the first).
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Only this module installs a provider, so the first call wins.
        let _ = HS256_ONLY.install_default();
    });
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::crypto;

    use super::*;

    /// The HS256 example of RFC 7519's companion site (jwt.io), whose
    /// signature is known.
    const EXAMPLE: (&str, &str) = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    );

    #[test]
    fn signs_and_verifies_a_known_hs256_token() {
        install();
        let key = b"your-256-bit-secret";
        let (message, tag) = EXAMPLE;
        let signed = crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(key),
            Algorithm::HS256,
        );
        assert_eq!(signed.unwrap(), tag);
        let good = crypto::verify(
            tag,
            message.as_bytes(),
            &DecodingKey::from_secret(key),
            Algorithm::HS256,
        );
        assert!(good.unwrap());
        let wrong_key = DecodingKey::from_secret(b"another-secret");
        let bad = crypto::verify(tag, message.as_bytes(), &wrong_key, Algorithm::HS256);
        assert!(!bad.unwrap());
    }

    #[test]
    fn offers_no_other_algorithm() {
        install();
        let key = EncodingKey::from_secret(b"your-256-bit-secret");
        for algorithm in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ] {
            let refused = crypto::sign(b"x", &key, algorithm).unwrap_err();
            assert_eq!(
                refused.kind(),
                &ErrorKind::InvalidAlgorithm,
                "{algorithm:?}"
            );
        }
    }
}
