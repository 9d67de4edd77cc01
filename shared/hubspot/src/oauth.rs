//! HubSpot's OAuth token endpoint and token info.

use pc_platform::crm::{AccessToken, CrmError, OAuthTokens, RefreshToken, TokenInfo};
use serde_json::Value;

use crate::HubspotClient;

fn tokens(body: &Value) -> Result<OAuthTokens, CrmError> {
    let field = |name: &str| {
        body[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CrmError::Unavailable(format!("the token answer has no {name}")))
    };
    Ok(OAuthTokens {
        access_token: AccessToken::new(field("access_token")?),
        refresh_token: RefreshToken::new(field("refresh_token")?),
        expires_in_seconds: body["expires_in"].as_i64().unwrap_or(1800),
    })
}

impl HubspotClient {
    async fn token_call(&self, form: &[(&str, &str)]) -> Result<OAuthTokens, CrmError> {
        let url = self.url("/oauth/v1/token")?;
        let body = self.send(|| self.http.post(url.clone()).form(form)).await?;
        tokens(&body)
    }

    pub(crate) async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthTokens, CrmError> {
        let (client_id, client_secret) = self.credentials()?;
        self.token_call(&[
            ("grant_type", "authorization_code"),
            ("client_id", &*client_id),
            ("client_secret", &*client_secret),
            ("redirect_uri", redirect_uri),
            ("code", code),
        ])
        .await
    }

    pub(crate) async fn refresh_tokens(
        &self,
        refresh: &RefreshToken,
    ) -> Result<OAuthTokens, CrmError> {
        let (client_id, client_secret) = self.credentials()?;
        self.token_call(&[
            ("grant_type", "refresh_token"),
            ("client_id", &*client_id),
            ("client_secret", &*client_secret),
            ("refresh_token", refresh.expose()),
        ])
        .await
    }

    pub(crate) async fn info(&self, token: &AccessToken) -> Result<TokenInfo, CrmError> {
        // The token is a path segment: percent-encoded, and never logged
        // (errors drop the URL).
        let mut url = self.url("/oauth/v1/access-tokens/")?;
        url.path_segments_mut()
            .map_err(|_| CrmError::Refused("bad HubSpot base URL".into()))?
            .pop_if_empty()
            .push(token.expose());
        let body = self.send(|| self.http.get(url.clone())).await?;
        let portal = match &body["hub_id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(CrmError::Unavailable("the token info has no hub_id".into())),
        };
        Ok(TokenInfo {
            portal_id: portal,
            scopes: body["scopes"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            expires_in_seconds: body["expires_in"].as_i64().unwrap_or(0),
            hub_domain: body["hub_domain"].as_str().map(str::to_owned),
        })
    }
}
