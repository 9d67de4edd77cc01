//! The session cookie settings: `SameSite` and `Secure`, and the rule that a
//! deployed function never sends its cookies over plain HTTP. Kept apart
//! because these two settings decide together how the browser carries the
//! session.

use super::{ConfigError, Mode, Settings};

/// `SameSite` attribute of the session cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// `COOKIE_SAME_SITE`, `Lax` when unset.
pub(super) fn same_site<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
) -> Result<SameSite, ConfigError> {
    Ok(
        match s.get("COOKIE_SAME_SITE").as_deref().unwrap_or("Lax") {
            "Lax" | "lax" => SameSite::Lax,
            "Strict" | "strict" => SameSite::Strict,
            "None" | "none" => SameSite::None,
            other => {
                return Err(ConfigError::Invalid {
                    name: "COOKIE_SAME_SITE",
                    reason: format!("{other} is not Lax, Strict or None"),
                });
            }
        },
    )
}

/// `COOKIE_SECURE`, on when unset and always on in a deployed function.
pub(super) fn secure<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    mode: Mode,
) -> Result<bool, ConfigError> {
    let cookie_secure = match s.get("COOKIE_SECURE").as_deref() {
        Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "COOKIE_SECURE",
                reason: format!("{other} is not true or false"),
            });
        }
        None => true,
    };
    if mode == Mode::Lambda && !cookie_secure {
        return Err(ConfigError::Invalid {
            name: "COOKIE_SECURE",
            reason: "must be true in a deployed function: session cookies travel only over HTTPS"
                .into(),
        });
    }
    Ok(cookie_secure)
}

#[cfg(test)]
mod tests {
    use super::super::tests::lambda;
    use super::super::{Config, ConfigError, Mode};

    #[test]
    fn insecure_cookies_stop_a_deployed_function() {
        let err = lambda(&[], &[("COOKIE_SECURE", Some("false"))]).unwrap_err();
        let ConfigError::Invalid { name, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*name, "COOKIE_SECURE");
        assert!(reason.contains("HTTPS"), "{reason}");
        assert!(err.to_string().contains("COOKIE_SECURE"));
        assert!(lambda(&[], &[("COOKIE_SECURE", Some("true"))]).is_ok());
        let local = Config::from_lookup(Mode::Local, &[], |n| {
            (n == "COOKIE_SECURE").then(|| "false".into())
        })
        .unwrap();
        assert!(!local.cookie_secure, "the dev server runs over plain HTTP");
    }
}
