//! The email address of a user: parsed once at the edge (trimmed,
//! lowercased, plausibly shaped), so the rest of the code only ever holds
//! a normalized address and uniqueness is case-insensitive by construction.

use std::fmt;

/// A normalized (trimmed, lowercased) email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses `text`; the error says what is wrong, for a field detail.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let email = text.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        if email.len() > 254 {
            return Err("must be at most 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an email address");
        };
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err("must be an email address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's or company's display name: trimmed, 1 to 200 characters.
pub fn parse_name(text: &str) -> Result<String, &'static str> {
    let name = text.trim();
    if name.is_empty() {
        return Err("is required");
    }
    if name.chars().count() > 200 {
        return Err("must be at most 200 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_garbage() {
        assert_eq!(
            EmailAddress::parse("  Jane.Doe@Example.COM ")
                .unwrap()
                .as_str(),
            "jane.doe@example.com"
        );
        for bad in [
            "", "plain", "a@b", "@x.io", "a b@x.io", "a@x..io", "a@@x.io", "a@.x.io",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(parse_name("  Ann ").unwrap(), "Ann");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(201)).is_err());
    }
}
