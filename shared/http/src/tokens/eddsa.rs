//! EdDSA over Ed25519 (ring), the algorithm of session tokens: signed
//! with the private key only the functions issuing sessions hold, verified
//! with public keys ([`pc_platform::session_keys`]).

use jsonwebtoken::crypto::{JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use signature::{Signer, Verifier};

/// Signs with a private key: `EncodingKey::from_ed_der` of its PKCS#8
/// document.
pub(super) struct Ed25519Signer(Ed25519KeyPair);

impl Ed25519Signer {
    pub(super) fn new(key: &EncodingKey) -> Result<Self> {
        // OpenSSL writes PKCS#8 v1, without the public key to check.
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(key.inner())
            .map(Self)
            .map_err(|_| ErrorKind::InvalidEddsaKey.into())
    }
}

impl Signer<Vec<u8>> for Ed25519Signer {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.0.sign(message).as_ref().to_vec())
    }
}

impl JwtSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// Verifies with a public key: `DecodingKey::from_ed_der` of its raw 32
/// bytes (what jsonwebtoken's own Ed25519 keys hold).
pub(super) struct Ed25519Verifier(UnparsedPublicKey<Vec<u8>>);

impl Ed25519Verifier {
    pub(super) fn new(key: &DecodingKey) -> Self {
        Self(UnparsedPublicKey::new(&ED25519, key.as_bytes().to_vec()))
    }
}

impl Verifier<Vec<u8>> for Ed25519Verifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        self.0
            .verify(message, signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}
