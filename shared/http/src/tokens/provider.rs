//! jsonwebtoken's crypto provider for this process: the two algorithms
//! tokens use, HS256 ([`super::hs256`]: magic links, OAuth states) and
//! EdDSA over Ed25519 ([`super::eddsa`]: sessions), on crates already in
//! every function (RustCrypto's `hmac`, and the `ring` rustls runs on).
//! jsonwebtoken's own providers bring every JWT algorithm (RSA, ECDSA and
//! their big-integer and curve crates, about 0.35 MB of every function
//! that reads a session). Any other algorithm is refused twice: each
//! validation pins one algorithm, and this provider has nothing else to
//! offer. A key only serves its own algorithm's family, so a public key
//! can never be taken for an HMAC secret (algorithm confusion).

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

use super::eddsa::{Ed25519Signer, Ed25519Verifier};
use super::hs256::Hs256;

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256::keyed(key.try_get_hmac_secret()?)?))
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => Ok(Box::new(Ed25519Signer::new(key)?)),
        (Algorithm::HS256 | Algorithm::EdDSA, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256::keyed(key.try_get_hmac_secret()?)?))
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => Ok(Box::new(Ed25519Verifier::new(key))),
        (Algorithm::HS256 | Algorithm::EdDSA, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // Tokens never carry or read JWKs.
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes this module jsonwebtoken's provider for this process; every use
/// of jsonwebtoken calls this first (it is one atomic load after the first).
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Only this module installs a provider, so the first call wins.
        let _ = PROVIDER.install_default();
    });
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::crypto;

    use super::*;

    #[test]
    fn offers_no_other_algorithm() {
        install();
        let key = EncodingKey::from_secret(b"your-256-bit-secret");
        for algorithm in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::PS256,
        ] {
            let refused = crypto::sign(b"x", &key, algorithm).unwrap_err();
            assert_eq!(
                refused.kind(),
                &ErrorKind::InvalidAlgorithm,
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn a_key_serves_only_its_own_algorithm() {
        install();
        // An HMAC secret cannot sign EdDSA, nor a public key check HS256.
        let secret = EncodingKey::from_secret(b"your-256-bit-secret");
        let refused = crypto::sign(b"x", &secret, Algorithm::EdDSA).unwrap_err();
        assert_eq!(refused.kind(), &ErrorKind::InvalidKeyFormat);
        let public = DecodingKey::from_ed_der(&[7; 32]);
        let refused = crypto::verify("AAAA", b"x", &public, Algorithm::HS256).unwrap_err();
        assert_eq!(refused.kind(), &ErrorKind::InvalidKeyFormat);
    }
}
