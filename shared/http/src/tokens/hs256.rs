//! HS256 (RustCrypto's `hmac` and `sha2`), the algorithm of the tokens
//! signed with a shared secret: magic links, OAuth states.

use hmac::{Hmac, Mac};
use jsonwebtoken::Algorithm;
use jsonwebtoken::crypto::{JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use sha2::Sha256;
use signature::{Signer, Verifier};

/// HMAC-SHA256 keyed with the token secret.
pub(super) struct Hs256(Hmac<Sha256>);

impl Hs256 {
    pub(super) fn keyed(secret: &[u8]) -> Result<Self> {
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

#[cfg(test)]
mod tests {
    use jsonwebtoken::crypto;
    use jsonwebtoken::{DecodingKey, EncodingKey};

    use super::super::provider::install;
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
}
