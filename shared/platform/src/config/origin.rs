//! The CORS origin: the one browser origin allowed to call with
//! credentials, refused at start unless it is a bare origin, because a
//! value that never equals the `Origin` header would refuse every call.

use super::{ConfigError, Settings};

/// `CORS_ORIGIN`, checked to be a bare origin.
pub(super) fn cors_origin<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
) -> Result<String, ConfigError> {
    let cors_origin = s.required("CORS_ORIGIN", "http://localhost:3001")?;
    check_origin(&cors_origin).map_err(|reason| ConfigError::Invalid {
        name: "CORS_ORIGIN",
        reason,
    })?;
    Ok(cors_origin)
}

/// A bare origin, exactly as browsers send it in `Origin`: a scheme, a host
/// and an optional port; no wildcard, path, query or trailing slash (an
/// origin that never equals the header would refuse every call).
fn check_origin(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} is not an http or https origin"));
    }
    let origin = url.origin().ascii_serialization();
    if origin != text {
        return Err(format!(
            "{text:?} is not a bare origin scheme://host[:port]; write {origin}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::ConfigError;
    use super::super::tests::lambda;

    #[test]
    fn cors_origin_must_be_a_bare_origin() {
        for bad in [
            "*",
            "https://app.example.com/",
            "https://app.example.com/app",
            "https://app.example.com?x=1",
            "app.example.com",
            "not a url",
            "ftp://app.example.com",
            "https://App.Example.com",
            "https://app.example.com:443",
            "null",
        ] {
            let err = lambda(&[], &[("CORS_ORIGIN", Some(bad))]).unwrap_err();
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        name: "CORS_ORIGIN",
                        ..
                    }
                ),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains("CORS_ORIGIN"), "{err}");
        }
        for good in [
            "https://app.example.com",
            "http://localhost:3001",
            "https://app.example.com:8443",
        ] {
            let config = lambda(&[], &[("CORS_ORIGIN", Some(good))]).unwrap();
            assert_eq!(config.cors_origin, good);
        }
    }
}
