//! HubSpot's JSON shapes to and from the port's types.

use pc_platform::crm::{
    BatchFailure, BatchOutcome, CrmObject, DealSearch, Pipeline, PipelineStage, Properties,
    SEARCH_PAGE_LIMIT, SearchPage,
};
use serde_json::{Value, json};

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `properties` without HubSpot's nulls.
pub fn properties(value: &Value) -> Properties {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

pub fn object(value: &Value) -> CrmObject {
    CrmObject {
        id: text(&value["id"]).unwrap_or_default(),
        properties: properties(&value["properties"]),
        created_at: text(&value["createdAt"]).unwrap_or_default(),
        updated_at: text(&value["updatedAt"]).unwrap_or_default(),
        archived: value["archived"].as_bool().unwrap_or(false),
        trace_id: text(&value["objectWriteTraceId"]),
    }
}

/// A batch answer (`200`, `201` or `207` with `errors`).
pub fn batch(value: &Value) -> BatchOutcome {
    let list = |name: &str| value[name].as_array().cloned().unwrap_or_default();
    BatchOutcome {
        results: list("results").iter().map(object).collect(),
        failures: list("errors")
            .iter()
            .map(|e| BatchFailure {
                category: text(&e["category"]).unwrap_or_default(),
                message: text(&e["message"]).unwrap_or_default(),
                inputs: e["context"]
                    .as_object()
                    .map(|c| {
                        c.values()
                            .filter_map(Value::as_array)
                            .flatten()
                            .filter_map(text)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn pipeline(value: &Value) -> Pipeline {
    let mut stages: Vec<PipelineStage> = value["stages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| PipelineStage {
            id: text(&s["id"]).unwrap_or_default(),
            label: text(&s["label"]).unwrap_or_default(),
            display_order: s["displayOrder"].as_i64().unwrap_or(0),
            probability: text(&s["metadata"]["probability"]),
            is_closed: text(&s["metadata"]["isClosed"]).as_deref() == Some("true"),
        })
        .collect();
    stages.sort_by_key(|s| s.display_order);
    Pipeline {
        id: text(&value["id"]).unwrap_or_default(),
        label: text(&value["label"]).unwrap_or_default(),
        stages,
    }
}

/// The body of `POST /crm/v3/objects/deals/search` for `search`: one
/// filter group (filters in a group are ANDed), the stage `IN` (or
/// `NOT_IN`) its ids and
/// the last change in `[from, before)`, oldest change first.
pub fn deal_search(search: &DealSearch) -> Value {
    let mut body = json!({
        "filterGroups": [{"filters": [
            {"propertyName": "dealstage", "operator": search.stage_operator.as_str(), "values": search.stage_ids},
            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": search.modified_from.to_string()},
            {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": search.modified_before.to_string()},
        ]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": search.properties,
        "limit": search.limit.clamp(1, SEARCH_PAGE_LIMIT),
    });
    if let Some(after) = &search.after {
        body["after"] = after.clone().into();
    }
    body
}

/// A search answer: `total`, `results`, `paging.next.after`.
pub fn search_page(value: &Value) -> SearchPage {
    SearchPage {
        total: value["total"].as_u64().unwrap_or(0),
        results: batch(value).results,
        after: text(&value["paging"]["next"]["after"]),
    }
}
