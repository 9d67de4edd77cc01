//! Password hashing: Argon2id for new hashes; bcrypt hashes from the old
//! system still verify and are replaced at the next sign-in. Also the
//! password policy: at least 10 characters, not all of one class.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use pc_http::FieldError;

/// What checking a password found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Wrong,
    /// Right, and the stored hash is current.
    Right,
    /// Right, but the stored hash is legacy or weaker: store this one instead.
    RightRehash(String),
}

/// A new Argon2id hash (PHC string) of `password`.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id with default parameters hashes any input")
        .to_string()
}

/// Checks `password` against a stored Argon2 or bcrypt hash.
pub fn verify(password: &str, stored: &str) -> Verdict {
    if stored.starts_with("$2") {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verdict::RightRehash(hash(password)),
            _ => Verdict::Wrong,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verdict::Wrong;
    };
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verdict::Wrong;
    }
    if parsed.algorithm.as_str() == "argon2id" {
        Verdict::Right
    } else {
        Verdict::RightRehash(hash(password))
    }
}

/// Spends the time of one verification, so that an unknown email takes as
/// long to refuse as a wrong password (no enumeration by timing).
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("dummy-password-for-timing"));
    let _ = verify(password, stored);
}

/// At least 10 characters, from at least two classes (lower, upper, digit, other).
pub fn check_policy(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().count() < 10 {
        return Err(FieldError::new(field, "must be at least 10 characters"));
    }
    if password.len() > 256 {
        return Err(FieldError::new(field, "must be at most 256 bytes"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|present| **present).count() < 2 {
        return Err(FieldError::new(
            field,
            "must mix at least two of: lowercase, uppercase, digits, symbols",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash("correct horse 1");
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse 1", &h), Verdict::Right);
        assert_eq!(verify("wrong", &h), Verdict::Wrong);
        assert_eq!(verify("x", "garbage"), Verdict::Wrong);
    }

    #[test]
    fn legacy_bcrypt_verifies_and_asks_for_a_rehash() {
        let legacy = bcrypt::hash("old-password-1", 4).unwrap();
        match verify("old-password-1", &legacy) {
            Verdict::RightRehash(new) => assert!(new.starts_with("$argon2id$")),
            other => panic!("{other:?}"),
        }
        assert_eq!(verify("nope", &legacy), Verdict::Wrong);
    }

    #[test]
    fn policy() {
        assert!(check_policy("password", "short1").is_err());
        assert!(check_policy("password", "alllowercaseletters").is_err());
        assert!(check_policy("password", "1234567890").is_err());
        assert!(check_policy("password", "lowercase123").is_ok());
        assert!(check_policy("password", "Mixed Case Words").is_ok());
    }
}
