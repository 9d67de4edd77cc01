//! The CRM port (HubSpot's v3 APIs): the OAuth token endpoint (code
//! exchange, refresh) and token info, deal pipelines, contacts and deals
//! through the batch endpoints (read, create, update, contact upsert by
//! email; at most [`BATCH_LIMIT`] objects a call), search by last change,
//! and deal↔contact associations. The deployed adapter is `pc-hubspot`
//! (reqwest); the local default is [`fake::FakeHubspot`], a stateful
//! HubSpot kept in the store that issues tokens and sends signed webhook
//! batches like HubSpot does.
//!
//! Every call but the OAuth ones acts with a partner's access token; a
//! token HubSpot refuses is [`CrmError::Unauthorized`], a 429 is
//! [`CrmError::RateLimited`] with the wait HubSpot asked for, so the caller
//! puts its work back on the queue with that delay rather than dropping it.

pub mod fake;
mod objects;
pub mod signature;
mod tokens;

use std::time::Duration;

use async_trait::async_trait;

pub use objects::{
    BATCH_LIMIT, BatchFailure, BatchOutcome, ContactUpsert, CrmObject, DealContact, DealSearch,
    NewObject, NewPipeline, NewStage, ObjectType, ObjectUpdate, Pipeline, PipelineStage,
    Properties, SEARCH_MAX_RESULTS, SEARCH_PAGE_LIMIT, SEARCH_REQUESTS_PER_SECOND, SearchPage,
    StageOperator,
};
pub use tokens::{AccessToken, OAuthTokens, RefreshToken, TokenInfo};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CrmError {
    /// HubSpot answered 429: try again after `retry_after`, never drop.
    #[error("HubSpot rate limit reached; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// The access token (or the refresh token, or the code) was refused or
    /// has expired: refresh it, or the partner connects again.
    #[error("HubSpot refused the credentials")]
    Unauthorized,
    /// HubSpot refused the request as it is (4xx); retrying it unchanged
    /// cannot succeed.
    #[error("HubSpot refused the request: {0}")]
    Refused(String),
    /// HubSpot could not be reached or failed (timeouts, 5xx): retry later.
    #[error("HubSpot unavailable: {0}")]
    Unavailable(String),
}

impl CrmError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable(_))
    }
}

/// Where the partner is sent to grant access, and where HubSpot sends them
/// back with a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    /// Space-separated, as HubSpot's `scope` parameter.
    pub scopes: &'a str,
    pub state: &'a str,
}

/// The CRM port.
#[async_trait]
pub trait CrmClient: Send + Sync {
    /// The consent page's URL (`https://app.hubspot.com/oauth/authorize?...`
    /// for the real HubSpot, the dev server's consent route for the fake).
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> String;

    /// `POST /oauth/v1/token` with `grant_type=authorization_code`.
    async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<OAuthTokens, CrmError>;

    /// `POST /oauth/v1/token` with `grant_type=refresh_token`; a refused
    /// refresh token is [`CrmError::Unauthorized`].
    async fn refresh(&self, refresh_token: &RefreshToken) -> Result<OAuthTokens, CrmError>;

    /// `GET /oauth/v1/access-tokens/:token`: the portal and scopes.
    async fn token_info(&self, token: &AccessToken) -> Result<TokenInfo, CrmError>;

    /// `GET /crm/v3/pipelines/deals`.
    async fn list_pipelines(&self, token: &AccessToken) -> Result<Vec<Pipeline>, CrmError>;

    /// `POST /crm/v3/pipelines/deals`.
    async fn create_pipeline(
        &self,
        token: &AccessToken,
        pipeline: &NewPipeline,
    ) -> Result<Pipeline, CrmError>;

    /// `POST /crm/v3/objects/:type/batch/read`: the objects found (unknown
    /// ids are failures), with `properties` and HubSpot's defaults.
    async fn batch_read(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        ids: &[String],
        properties: &[String],
    ) -> Result<BatchOutcome, CrmError>;

    /// `POST /crm/v3/objects/:type/batch/create`.
    async fn batch_create(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[NewObject],
    ) -> Result<BatchOutcome, CrmError>;

    /// `POST /crm/v3/objects/:type/batch/update`.
    async fn batch_update(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[ObjectUpdate],
    ) -> Result<BatchOutcome, CrmError>;

    /// `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty=email`.
    async fn batch_upsert_contacts(
        &self,
        token: &AccessToken,
        inputs: &[ContactUpsert],
    ) -> Result<BatchOutcome, CrmError>;

    /// `POST /crm/v3/objects/:type/search`: objects whose
    /// `hs_lastmodifieddate` (deals) or `lastmodifieddate` (contacts) is at
    /// or after `since_millis`, oldest change first, `limit` ≤ 100 a page.
    async fn search_modified_since(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        since_millis: i64,
        properties: &[String],
        after: Option<&str>,
        limit: usize,
    ) -> Result<SearchPage, CrmError>;

    /// `POST /crm/v3/objects/deals/search` for deals in some stages changed
    /// in a time window (see [`DealSearch`]). Its own limits: at most
    /// [`SEARCH_REQUESTS_PER_SECOND`] calls a second (429 past it), pages
    /// of at most [`SEARCH_PAGE_LIMIT`], and no page at or past
    /// [`SEARCH_MAX_RESULTS`] (refused).
    async fn search_deals(
        &self,
        token: &AccessToken,
        search: &DealSearch,
    ) -> Result<SearchPage, CrmError>;

    /// `POST /crm/v4/associations/deals/contacts/batch/associate/default`.
    async fn associate_deals_with_contacts(
        &self,
        token: &AccessToken,
        pairs: &[DealContact],
    ) -> Result<(), CrmError>;

    /// `POST /crm/v4/associations/deals/contacts/batch/read`: the contacts
    /// of each deal.
    async fn deal_contacts(
        &self,
        token: &AccessToken,
        deal_ids: &[String],
    ) -> Result<Vec<DealContact>, CrmError>;

    /// The fake HubSpot behind this port, where there is one (local only):
    /// the dev routes act as a HubSpot user through it.
    fn fake(&self) -> Option<&fake::FakeHubspot> {
        None
    }
}

/// Refuses a batch larger than HubSpot accepts, before any request.
pub fn check_batch_size(len: usize) -> Result<(), CrmError> {
    if len > BATCH_LIMIT {
        return Err(CrmError::Refused(format!(
            "a batch holds at most {BATCH_LIMIT} inputs, not {len}"
        )));
    }
    Ok(())
}

/// Duration from HubSpot's `Retry-After` seconds, at least one second.
pub fn retry_after_seconds(seconds: u64) -> Duration {
    Duration::from_secs(seconds.max(1))
}
