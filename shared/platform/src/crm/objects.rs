//! HubSpot's CRM objects as the port carries them: contacts and deals with
//! string properties, deal pipelines with their stages, deal↔contact
//! associations, and the outcome of a batch call (HubSpot answers a batch
//! with the objects it wrote and the inputs it refused, `207 Multi-Status`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// HubSpot's properties: every value is a string; a property HubSpot
/// answers as `null` is absent here, and writing `""` clears one.
pub type Properties = BTreeMap<String, String>;

/// The most objects one batch call may carry.
pub const BATCH_LIMIT: usize = 100;

/// The CRM object types the sync touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    Contacts,
    Deals,
}

impl ObjectType {
    /// The path segment of HubSpot's API (`/crm/v3/objects/<segment>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Deals => "deals",
        }
    }

    /// The singular HubSpot uses in webhook subscription types
    /// (`contact.propertyChange`).
    pub fn singular(self) -> &'static str {
        match self {
            Self::Contacts => "contact",
            Self::Deals => "deal",
        }
    }
}

/// One contact or deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrmObject {
    pub id: String,
    pub properties: Properties,
    /// RFC 3339, by HubSpot's clock.
    pub created_at: String,
    pub updated_at: String,
    pub archived: bool,
    /// The `objectWriteTraceId` of the input that wrote it, when it had one:
    /// how a caller matches a batch create's results to its inputs (HubSpot
    /// answers them in no particular order).
    pub trace_id: Option<String>,
}

/// An object to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewObject {
    pub properties: Properties,
    /// Echoed back on the result or the error (`objectWriteTraceId`).
    pub trace_id: Option<String>,
}

/// Properties to change on an existing object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectUpdate {
    pub id: String,
    pub properties: Properties,
}

/// A contact created, or updated when one with this email exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactUpsert {
    pub email: String,
    pub properties: Properties,
}

/// One input a batch call refused; the others were applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFailure {
    /// HubSpot's category (`OBJECT_NOT_FOUND`, `VALIDATION_ERROR`...).
    pub category: String,
    pub message: String,
    /// The ids, emails or trace ids the failure concerns.
    pub inputs: Vec<String>,
}

/// What a batch call answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchOutcome {
    pub results: Vec<CrmObject>,
    pub failures: Vec<BatchFailure>,
}

/// One page of a search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    /// How many objects the whole query matches (HubSpot's `total`), of
    /// which at most [`SEARCH_MAX_RESULTS`] can be paged through.
    #[serde(default)]
    pub total: u64,
    pub results: Vec<CrmObject>,
    /// Pass back to get the next page; `None` on the last.
    pub after: Option<String>,
}

/// The most results one search query pages through: HubSpot answers 400
/// to an `after` at or past it, so a larger query is split (by time).
pub const SEARCH_MAX_RESULTS: u64 = 10_000;
/// The most results of one search page.
pub const SEARCH_PAGE_LIMIT: usize = 200;
/// Search requests a portal's app may make per second; past it HubSpot
/// answers 429 (the search endpoints' own limit, beside the general one).
pub const SEARCH_REQUESTS_PER_SECOND: i64 = 4;

/// How a [`DealSearch`] matches `dealstage` against its `stage_ids`:
/// HubSpot's `IN` (one of them) or `NOT_IN` (none of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StageOperator {
    #[default]
    In,
    NotIn,
}

impl StageOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            StageOperator::In => "IN",
            StageOperator::NotIn => "NOT_IN",
        }
    }

    /// Whether a deal in `stage` matches `stage_ids` by this operator.
    pub fn matches(self, stage_ids: &[String], stage: &str) -> bool {
        stage_ids.iter().any(|s| s == stage) == (self == StageOperator::In)
    }
}

/// A deal search: deals in one of `stage_ids` (or, by `stage_operator`,
/// in none of them) whose `hs_lastmodifieddate` is in
/// `[modified_from, modified_before)` (millis), oldest change first (then
/// by id), as `POST /crm/v3/objects/deals/search` takes it: one filter
/// group with `dealstage IN` (or `NOT_IN`), `hs_lastmodifieddate GTE` and
/// `LT`, sorted by `hs_lastmodifieddate` ascending.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DealSearch {
    pub stage_ids: Vec<String>,
    #[serde(default)]
    pub stage_operator: StageOperator,
    pub modified_from: i64,
    pub modified_before: i64,
    pub properties: Vec<String>,
    /// HubSpot's paging offset, from the previous page.
    pub after: Option<String>,
    /// At most [`SEARCH_PAGE_LIMIT`].
    pub limit: usize,
}

/// A deal pipeline and its stages, in display order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    pub id: String,
    pub label: String,
    pub stages: Vec<PipelineStage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStage {
    pub id: String,
    pub label: String,
    pub display_order: i64,
    /// HubSpot's `metadata.probability` ("0.0".."1.0"); `1.0` is won and
    /// `0.0` lost when the stage is closed.
    pub probability: Option<String>,
    /// HubSpot's `metadata.isClosed`.
    pub is_closed: bool,
}

/// A pipeline to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPipeline {
    pub label: String,
    pub display_order: i64,
    pub stages: Vec<NewStage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewStage {
    pub label: String,
    pub display_order: i64,
    pub probability: String,
    pub is_closed: bool,
}

/// A deal associated with a contact (HubSpot's default deal→contact type).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DealContact {
    pub deal_id: String,
    pub contact_id: String,
}
