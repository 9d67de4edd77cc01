//! Magic links: the link in a lead reminder that opens a
//! partner's overdue leads without signing in first. It is a JWT signed
//! with `MAGIC_LINK_SECRET`, purpose `magic`, valid 24 hours, carrying
//! `{partnerId, filter: "overdue"}`; `POST /v1/leads/magic-link/validate`
//! turns a valid one into the filter array the SPA applies.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use pc_platform::config::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::tokens::{self, TokenError};
use pc_http::{ApiError, ApiResult, AppState, ValidJson};

/// The token's purpose, so no other token of the system passes as one.
pub const MAGIC_PURPOSE: &str = "magic";

/// How long a magic link works.
pub const MAGIC_LINK_LIFETIME: Duration = Duration::hours(24);

/// The only filter magic links carry today.
pub const OVERDUE_FILTER: &str = "overdue";

/// What a magic link carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicClaims {
    pub partner_id: String,
    pub filter: String,
}

/// A signed magic token for the overdue leads of `partner_id`, from `now`.
pub fn overdue_token(secret: &str, partner_id: &str, now: DateTime<Utc>) -> String {
    tokens::sign(
        secret,
        MAGIC_PURPOSE,
        MagicClaims {
            partner_id: partner_id.to_owned(),
            filter: OVERDUE_FILTER.to_owned(),
        },
        now,
        MAGIC_LINK_LIFETIME,
    )
}

/// `${CLIENT_URL}/leads?magic=<token>`.
pub fn overdue_link(client_url: &str, token: &str) -> String {
    format!("{}/leads?magic={token}", client_url.trim_end_matches('/'))
}

/// The body of the validate call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateMagicLink {
    /// The `magic` parameter of the link.
    pub token: String,
}

/// A valid magic link: whose leads, which filter, and the filters to apply.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkGrant {
    pub partner_id: String,
    pub filter: String,
    /// The leads list filters of the overdue view (`scheduledDate lt now`,
    /// `dealStatus not_in` won/lost), as the leads capability defines them.
    #[schema(value_type = Vec<pc_http::list::Filter>)]
    pub filters: Value,
}

/// Checks a magic token at `now`.
pub fn validate(
    secret: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<MagicLinkGrant, TokenError> {
    let envelope = tokens::verify::<MagicClaims>(secret, MAGIC_PURPOSE, token, now)?;
    let claims = envelope.claims;
    if claims.filter != OVERDUE_FILTER {
        return Err(TokenError::Invalid);
    }
    Ok(MagicLinkGrant {
        partner_id: claims.partner_id,
        filter: claims.filter,
        filters: pc_leads::overdue_filters(now),
    })
}

/// Validates a magic link from a reminder email.
#[utoipa::path(post, path = "/v1/leads/magic-link/validate", tag = "leads",
    request_body = ValidateMagicLink,
    responses(
        (status = 200, body = MagicLinkGrant),
        (status = 400, description = "no token"),
        (status = 401, description = "expired, tampered or not a magic link")))]
pub async fn validate_magic_link(
    State(ctx): State<AppState>,
    ValidJson(body): ValidJson<ValidateMagicLink>,
) -> ApiResult<Json<MagicLinkGrant>> {
    let token = body.token.trim();
    if token.is_empty() {
        return Err(ApiError::invalid_field("token", "is required"));
    }
    let now = ctx.clock.now();
    ctx.config
        .secrets
        .verify(
            Secret::MagicLink,
            |secret| validate(secret, token, now),
            |e| *e == TokenError::Invalid,
        )
        .await?
        .map(Json)
        .map_err(|e| match e {
            TokenError::Expired => ApiError::unauthorized("the magic link has expired"),
            _ => ApiError::unauthorized("the magic link is not valid"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "magic-secret-magic-secret-magic-secret";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn valid_for_24_hours() {
        let issued = at("2024-01-15T17:00:00Z");
        let token = overdue_token(SECRET, "p1", issued);
        let later = issued + Duration::hours(23);
        let grant = validate(SECRET, &token, later).unwrap();
        assert_eq!(grant.partner_id, "p1");
        assert_eq!(grant.filter, "overdue");
        assert_eq!(grant.filters, pc_leads::overdue_filters(later));
        assert_eq!(grant.filters[0]["value"], "2024-01-16T16:00:00.000Z");
        assert_eq!(grant.filters[1]["operator"], "not_in");
        assert_eq!(
            validate(SECRET, &token, issued + Duration::hours(24)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn other_secrets_and_purposes_are_refused() {
        let now = at("2024-01-15T17:00:00Z");
        let token = overdue_token(SECRET, "p1", now);
        assert_eq!(
            validate("another-secret-another-secret-another", &token, now),
            Err(TokenError::Invalid)
        );
        let session = tokens::sign(
            SECRET,
            "access",
            MagicClaims {
                partner_id: "p1".into(),
                filter: "overdue".into(),
            },
            now,
            Duration::hours(1),
        );
        assert_eq!(
            validate(SECRET, &session, now),
            Err(TokenError::WrongPurpose)
        );
        let mut tampered = token.clone();
        tampered.insert(tampered.len() / 2, 'x');
        assert!(validate(SECRET, &tampered, now).is_err());
    }

    #[test]
    fn link_shape() {
        assert_eq!(
            overdue_link("https://app.example.com/", "abc"),
            "https://app.example.com/leads?magic=abc"
        );
    }
}
