//! The public partner API: a partner's admins create API tokens (shown
//! once, stored as SHA-256 digests) and the partner's own systems change
//! its leads' statuses with them at `POST /api/v1/status`, applied by the
//! `partner-api-lead` worker through the same lead change as the app, with
//! a per-token rate limit.
//!
//! [`tokens_store`] owns the token writes (the auth layer reads tokens
//! through `pc_http::partner_tokens`); [`status_request`] owns the request
//! records a partner reads outcomes from.

pub mod functions;
pub mod keys;
pub mod status_api;
pub mod status_request;
pub mod status_worker;
pub mod tokens_api;
pub mod tokens_store;
