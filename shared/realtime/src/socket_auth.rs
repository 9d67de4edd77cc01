//! A WebSocket is authenticated when it opens, as an API request is: the
//! access token from the `accessToken` cookie (a browser sends its cookies
//! with the upgrade) or from `?token=` (clients that cannot set headers on
//! a WebSocket), checked against the store (user, session, partner). Only
//! a partner's users connect: the events are about partners' leads.

use axum::http::{HeaderMap, HeaderValue, header};

use pc_api::auth::authenticate;
use pc_api::{ApiError, AppState, Principal};

/// The `token` parameter of a query string.
pub fn query_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .filter(|t| !t.is_empty())
}

/// The caller opening a socket, with its partner.
pub async fn authenticate_socket(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(Principal, String), ApiError> {
    let mut headers = headers.clone();
    if let Some(token) = query_token(query) {
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ApiError::unauthorized("invalid session"))?;
        headers.insert(header::AUTHORIZATION, bearer);
    }
    let caller = authenticate(state, &headers).await?;
    let partner_id = caller
        .principal
        .partner_id
        .clone()
        .ok_or_else(|| ApiError::forbidden("real-time events are for partners' users"))?;
    Ok((caller.principal, partner_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_query_when_given() {
        assert_eq!(
            query_token(Some("token=abc.def")).as_deref(),
            Some("abc.def")
        );
        assert_eq!(query_token(Some("x=1&token=t%2B1")).as_deref(), Some("t+1"));
        assert_eq!(query_token(Some("token=")), None);
        assert_eq!(query_token(None), None);
    }
}
