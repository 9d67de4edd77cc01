//! A WebSocket is authenticated when it opens, as an API request is, and
//! more strictly:
//!
//! - its `Origin` must be the SPA's (`CORS_ORIGIN`): a page on another
//!   site cannot open a socket on the user's session (cross-site WebSocket
//!   hijacking), whatever `SameSite` the cookies have;
//! - the credential is a connection ticket (`?ticket=`, see
//!   [`crate::tickets`]; the only way in AWS, where the WebSocket API's
//!   domain never receives the session cookies) or, on the dev server,
//!   the `accessToken` cookie the browser sends with the upgrade. An
//!   access token is never read from the URL;
//! - only the users of an active partner connect: the events are about
//!   partners' leads and the marketplace, which a partner awaiting
//!   approval may not see yet.

use axum::http::HeaderMap;

use pc_http::auth::authenticate;
use pc_http::csrf::check_socket_origin;
use pc_http::{ApiError, AppState, Principal};

use crate::tickets;

/// The `ticket` parameter of a query string.
pub fn query_ticket(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "ticket")
        .map(|(_, value)| value.into_owned())
        .filter(|t| !t.is_empty())
}

/// The caller opening a socket, with its partner.
pub async fn authenticate_socket(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(Principal, String), ApiError> {
    check_socket_origin(&state.config.cors_origin, headers)?;
    let caller = match query_ticket(query) {
        Some(ticket) => tickets::redeem(state, &ticket).await?,
        None => authenticate(state, headers).await?,
    };
    if caller.awaiting_approval {
        return Err(ApiError::partner_not_active());
    }
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
    fn the_ticket_comes_from_the_query_and_a_token_there_is_ignored() {
        assert_eq!(query_ticket(Some("ticket=ab12")).as_deref(), Some("ab12"));
        assert_eq!(
            query_ticket(Some("x=1&ticket=t%2B1")).as_deref(),
            Some("t+1")
        );
        assert_eq!(query_ticket(Some("ticket=")), None);
        assert_eq!(query_ticket(Some("token=abc.def")), None);
        assert_eq!(query_ticket(None), None);
    }
}
