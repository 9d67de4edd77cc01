//! Partner slugs: lowercase ASCII letters, digits and single dashes, made
//! from a name when none is given, unique through the `SLUG#<slug>` guard.

/// How many numbered candidates (`acme`, `acme-2`...) come before random ones.
pub const NUMBERED_CANDIDATES: usize = 5;

/// A valid slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Checks a slug given by a caller.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let slug = text.trim();
        if slug.is_empty() || slug.len() > 60 {
            return Err("must be 1 to 60 characters");
        }
        let shape_ok = slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if !shape_ok {
            return Err("must be lowercase letters, digits and single dashes");
        }
        Ok(Self(slug.to_owned()))
    }

    /// The slug made from a name: accents and symbols dropped, words joined
    /// by dashes (`"Acme Corp."` → `acme-corp`); `partner` if nothing is left.
    pub fn from_name(name: &str) -> Self {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        slug.truncate(50);
        let slug = slug.trim_matches('-').to_owned();
        Self(if slug.is_empty() {
            "partner".into()
        } else {
            slug
        })
    }

    /// The `n`-th candidate when the base slug is taken: `acme`, `acme-2`,
    /// ... `acme-5`, then `acme-` and eight random letters and digits, so
    /// that some candidate is free however many partners share a name.
    pub fn candidate(&self, n: usize) -> Self {
        if n <= 1 {
            self.clone()
        } else if n <= NUMBERED_CANDIDATES {
            Self(format!("{}-{n}", self.0))
        } else {
            use rand::Rng;
            use rand::distributions::Alphanumeric;
            let suffix: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(8)
                .map(|c| char::from(c).to_ascii_lowercase())
                .collect();
            let base: String = self.0.chars().take(50).collect();
            Self(format!("{}-{suffix}", base.trim_end_matches('-')))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_names() {
        assert_eq!(Slug::from_name("Acme Corp.").as_str(), "acme-corp");
        assert_eq!(
            Slug::from_name("  --Ünïcode & Co--  ").as_str(),
            "n-code-co"
        );
        assert_eq!(Slug::from_name("!!!").as_str(), "partner");
        assert_eq!(Slug::from_name("Acme").candidate(3).as_str(), "acme-3");
        assert!(Slug::parse(Slug::from_name(&"Long Name ".repeat(20)).as_str()).is_ok());
    }

    #[test]
    fn candidates_past_the_numbered_ones_are_random_and_valid() {
        let base = Slug::parse(&"a".repeat(60)).unwrap();
        let (x, y) = (base.candidate(6), base.candidate(7));
        assert_ne!(x, y);
        for slug in [&x, &y, &Slug::from_name("Acme").candidate(9)] {
            assert!(Slug::parse(slug.as_str()).is_ok(), "{slug:?}");
        }
        assert!(
            Slug::from_name("Acme")
                .candidate(6)
                .as_str()
                .starts_with("acme-")
        );
    }

    #[test]
    fn parsing() {
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["", "Acme", "a--b", "-a", "a-", "a b", "a_b"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
