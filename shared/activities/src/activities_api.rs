//! `GET /v1/activities` (a partner's feed, newest first, with its unread
//! count) and `PATCH /v1/activities/mark-read`.
//!
//! A partner's users see and mark their partner's activities only; a
//! `partnerId` naming another partner is a 404. Platform staff belong to
//! no partner: they read (and mark) a partner's feed by naming it with
//! `partnerId`, and have no feed of their own.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_http::list::{Column, ColumnKind, Direction, ListMeta};
use pc_http::partner_events::EVENT_TYPES;
use pc_http::{
    ApiError, ApiResult, AppState, FieldError, ListQuery, ListSpec, Principal, ValidJson,
};

use crate::activities_store::{Activity, feed, unread_count_of};
use crate::mark_read::{Marking, mark_read};

pub const ACTIVITIES_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("id", ColumnKind::Text),
        Column::new("type", ColumnKind::Enum(EVENT_TYPES)),
        Column::new("read", ColumnKind::Bool),
        Column::new("occurredAt", ColumnKind::Date),
        // The original app's activity feed reads `isRead`.
        Column::alias("isRead", "read"),
    ],
    search_fields: &[],
    default_sort: ("occurredAt", Direction::Desc),
    extra_params: &["unreadOnly", "partnerId"],
};

/// Most ids one mark-read names.
pub const MAX_IDS: usize = 200;

/// An activity as the feed shows it: `read` also as `isRead`, the name the
/// original app's feed reads.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    #[serde(flatten)]
    pub activity: Activity,
    pub is_read: bool,
}

impl From<Activity> for ActivityView {
    fn from(activity: Activity) -> Self {
        Self {
            is_read: activity.read,
            activity,
        }
    }
}

/// A page of the feed: the list conventions' `{list, meta}` and the
/// partner's unread count (all its unread activities, not only this page's).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    #[schema(value_type = Vec<ActivityView>)]
    pub list: Vec<Value>,
    pub meta: ListMeta,
    pub unread_count: u64,
}

/// `{ids: [...]}` or `{all: true}`; staff add the `partnerId` they act for.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkReadBody {
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    #[serde(default)]
    pub all: Option<bool>,
    #[serde(default)]
    pub partner_id: Option<String>,
}

/// What a mark-read did: how many activities it turned read, and the
/// unread count after it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkReadAnswer {
    pub marked: u64,
    pub unread_count: u64,
}

/// The partner whose feed the caller asked for: the caller's own partner,
/// or for staff the one named (none named: no feed).
fn feed_owner(principal: &Principal, named: Option<&str>) -> Result<Option<String>, ApiError> {
    let named = named.filter(|p| !p.is_empty());
    match principal.scope() {
        Some(own) if named.is_none_or(|p| p == own) => Ok(Some(own.to_owned())),
        Some(_) => Err(ApiError::not_found("partner")),
        None if principal.is_staff() => Ok(named.map(str::to_owned)),
        None => Ok(None),
    }
}

fn parse_flag(value: Option<&String>) -> Result<bool, ApiError> {
    match value.map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid_field(
            "unreadOnly",
            "must be true or false",
        )),
    }
}

/// The caller's partner's activities, newest first, and its unread count.
#[utoipa::path(get, path = "/v1/activities", tag = "activities",
    params(("unreadOnly" = Option<bool>, Query, description = "only unread activities"),
        ("partnerId" = Option<String>, Query, description = "staff: the partner whose feed to read"),
        ("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query, description = "`occurredAt:desc` by default; also `type`, `read` (or `isRead`), `id`"),
        ("filter" = Option<String>, Query)),
    responses((status = 200, body = ActivityPage), (status = 400), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_activities(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ActivityPage>> {
    let query = ListQuery::parse(raw.as_deref(), &ACTIVITIES_LIST)?;
    let unread_only = parse_flag(query.extra.get("unreadOnly"))?;
    let owner = feed_owner(&principal, query.extra.get("partnerId").map(String::as_str))?;
    let Some(partner_id) = owner else {
        let empty = query.page_of(Vec::new());
        return Ok(Json(ActivityPage {
            list: empty.list,
            meta: empty.meta,
            unread_count: 0,
        }));
    };
    let now = ctx.clock.now();
    let (activities, truncated) = feed(&*ctx.store, &partner_id, unread_only, now).await?;
    let unread_count = unread_count_of(&*ctx.store, &partner_id, now).await?;
    let rows = activities
        .into_iter()
        .map(|a| serde_json::to_value(ActivityView::from(a)).unwrap_or(Value::Null))
        .collect();
    let mut page = query.apply(rows, &ACTIVITIES_LIST);
    page.meta.truncated = truncated;
    Ok(Json(ActivityPage {
        list: page.list,
        meta: page.meta,
        unread_count,
    }))
}

impl MarkReadBody {
    /// Checks the body whole, naming each bad field.
    pub fn marking(&self) -> Result<Marking, ApiError> {
        match (&self.ids, self.all) {
            (Some(_), Some(_)) => Err(ApiError::validation(vec![
                FieldError::new("ids", "give ids or all, not both"),
                FieldError::new("all", "give ids or all, not both"),
            ])),
            (None, Some(true)) => Ok(Marking::All),
            (None, Some(false)) => Err(ApiError::invalid_field(
                "all",
                "must be true (or give ids instead)",
            )),
            (None, None) => Err(ApiError::invalid_field(
                "ids",
                "give the ids to mark read, or all: true",
            )),
            (Some(ids), None) => {
                let mut errors = Vec::new();
                if ids.is_empty() || ids.len() > MAX_IDS {
                    errors.push(FieldError::new(
                        "ids",
                        format!("names 1 to {MAX_IDS} activities"),
                    ));
                }
                for (n, id) in ids.iter().enumerate() {
                    if id.trim().is_empty() || id.len() > 300 {
                        errors.push(FieldError::new(
                            format!("ids[{n}]"),
                            "an activity id of 1 to 300 characters",
                        ));
                    }
                }
                if errors.is_empty() {
                    Ok(Marking::Ids(ids.clone()))
                } else {
                    Err(ApiError::validation(errors))
                }
            }
        }
    }
}

/// Marks activities of the caller's partner read; ids of no activity of
/// that partner (another partner's included) are ignored.
#[utoipa::path(patch, path = "/v1/activities/mark-read", tag = "activities",
    request_body = MarkReadBody,
    responses((status = 200, body = MarkReadAnswer),
        (status = 400, description = "neither `ids` nor `all: true`, both, or a bad id"),
        (status = 404, description = "`partnerId` names a partner the caller does not see")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn mark_activities_read(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<MarkReadBody>,
) -> ApiResult<Json<MarkReadAnswer>> {
    let marking = body.marking()?;
    let Some(partner_id) = feed_owner(&principal, body.partner_id.as_deref())? else {
        if principal.is_staff() {
            return Err(ApiError::invalid_field(
                "partnerId",
                "staff name the partner whose activities to mark",
            ));
        }
        return Ok(Json(MarkReadAnswer {
            marked: 0,
            unread_count: 0,
        }));
    };
    let now = ctx.clock.now();
    let marked = mark_read(&*ctx.store, &partner_id, &marking, now).await?;
    let unread_count = unread_count_of(&*ctx.store, &partner_id, now).await?;
    Ok(Json(MarkReadAnswer {
        marked,
        unread_count,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_http::Role;

    fn body(json: &str) -> MarkReadBody {
        serde_json::from_str(json).unwrap()
    }

    fn principal(role: Role, partner: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            email: "u@example.com".into(),
            name: "U".into(),
            role,
            partner_id: partner.map(str::to_owned),
            session_id: "s".into(),
        }
    }

    #[test]
    fn a_mark_read_names_ids_or_all_and_nothing_else() {
        assert_eq!(
            body(r#"{"ids": ["a", "b"]}"#).marking().unwrap(),
            Marking::Ids(vec!["a".into(), "b".into()])
        );
        assert_eq!(body(r#"{"all": true}"#).marking().unwrap(), Marking::All);
        for bad in [
            r#"{}"#,
            r#"{"all": false}"#,
            r#"{"ids": []}"#,
            r#"{"ids": [""]}"#,
            r#"{"ids": ["a"], "all": true}"#,
        ] {
            let error = body(bad).marking().unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{bad}");
        }
    }

    #[test]
    fn partner_users_read_their_own_feed_and_staff_the_one_they_name() {
        let user = principal(Role::User, Some("P"));
        assert_eq!(feed_owner(&user, None).unwrap().as_deref(), Some("P"));
        assert_eq!(feed_owner(&user, Some("P")).unwrap().as_deref(), Some("P"));
        assert_eq!(
            feed_owner(&user, Some("Q")).unwrap_err().status.as_u16(),
            404
        );
        let staff = principal(Role::Owner, None);
        assert_eq!(feed_owner(&staff, None).unwrap(), None);
        assert_eq!(feed_owner(&staff, Some("Q")).unwrap().as_deref(), Some("Q"));
        let loose = principal(Role::User, None);
        assert_eq!(feed_owner(&loose, Some("Q")).unwrap(), None);
    }
}
