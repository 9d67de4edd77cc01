//! The session cookies: `accessToken` and `refreshToken`, HttpOnly, Secure
//! (unless the local server turns it off), SameSite as configured, Path=/.

use axum::http::{HeaderMap, HeaderValue, header};

use pc_platform::config::Config;

pub const ACCESS_COOKIE: &str = "accessToken";
pub const REFRESH_COOKIE: &str = "refreshToken";

/// A `Set-Cookie` value for `name`, living `max_age_seconds` (0 clears it).
pub fn set_cookie(config: &Config, name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if config.cookie_secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly{secure}; SameSite={}; Max-Age={max_age_seconds}",
        config.cookie_same_site.as_str()
    );
    HeaderValue::from_str(&text).expect("token characters are valid in a header")
}

/// Appends the cookies that start a session to `headers`.
pub fn add_session_cookies(headers: &mut HeaderMap, config: &Config, access: &str, refresh: &str) {
    use crate::tokens::{ACCESS_TOKEN_MINUTES, REFRESH_TOKEN_DAYS};
    headers.append(
        header::SET_COOKIE,
        set_cookie(config, ACCESS_COOKIE, access, ACCESS_TOKEN_MINUTES * 60),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(config, REFRESH_COOKIE, refresh, REFRESH_TOKEN_DAYS * 86_400),
    );
}

/// Appends the cookies that end a session.
pub fn add_clearing_cookies(headers: &mut HeaderMap, config: &Config) {
    headers.append(header::SET_COOKIE, set_cookie(config, ACCESS_COOKIE, "", 0));
    headers.append(
        header::SET_COOKIE,
        set_cookie(config, REFRESH_COOKIE, "", 0),
    );
}

/// The value of cookie `name`, from any `Cookie` header.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The bearer token of an `Authorization` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_from_joined_and_repeated_headers() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; accessToken=xyz"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("refreshToken=r"));
        assert_eq!(read_cookie(&h, ACCESS_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(read_cookie(&h, REFRESH_COOKIE).as_deref(), Some("r"));
        assert_eq!(read_cookie(&h, "missing"), None);
    }

    #[test]
    fn session_cookies_are_http_only_and_secure() {
        let config = Config::local_defaults();
        let mut h = HeaderMap::new();
        add_session_cookies(&mut h, &config, "a", "r");
        let all: Vec<_> = h
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(all.len(), 2);
        assert!(
            all.iter().all(|c| c.contains("HttpOnly")
                && c.contains("Secure")
                && c.contains("SameSite=Lax"))
        );
    }

    #[test]
    fn bearer() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer_token(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), None);
    }
}
