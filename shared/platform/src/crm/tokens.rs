//! OAuth tokens and what HubSpot tells of them. A token is a credential to
//! a partner's CRM: its `Debug` and `Display` are redacted and it is not
//! `Serialize`, so it cannot reach a log line, an error, a response or an
//! event by accident; [`AccessToken::expose`] is the one way to its text.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! secret_token {
    ($name:ident, $what:literal) => {
        #[doc = concat!("An OAuth ", $what, " token, redacted when printed.")]
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn new(text: impl Into<String>) -> Self {
                Self(text.into())
            }

            /// The token's text, for the HTTP call or the encryption that
            /// needs it and nothing else.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<redacted>")
            }
        }
    };
}

secret_token!(AccessToken, "access");
secret_token!(RefreshToken, "refresh");

/// What the token endpoint answers to a code exchange or a refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthTokens {
    pub access_token: AccessToken,
    pub refresh_token: RefreshToken,
    /// Seconds the access token lives from now (HubSpot: 1,800).
    pub expires_in_seconds: i64,
}

/// What HubSpot tells of an access token (`GET
/// /oauth/v1/access-tokens/:token`): the portal it opens and the scopes
/// it grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// HubSpot's `hub_id`: the portal (account) the partner connected.
    pub portal_id: String,
    pub scopes: Vec<String>,
    /// Seconds the token still lives.
    pub expires_in_seconds: i64,
    /// `hub_domain`, when HubSpot gives it.
    pub hub_domain: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print_their_text() {
        let access = AccessToken::new("pat-na1-secret");
        let refresh = RefreshToken::new("refresh-secret");
        let tokens = OAuthTokens {
            access_token: access.clone(),
            refresh_token: refresh,
            expires_in_seconds: 1800,
        };
        let printed = format!("{access} {access:?} {tokens:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert_eq!(access.expose(), "pat-na1-secret");
    }
}
