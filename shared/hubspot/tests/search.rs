//! The adapter's deal search and batch association read over HTTP against
//! wiremock, with HubSpot's request and response shapes: the search's
//! filter group, sort, paging and `total`; a 400 past the 10,000-result
//! cap; the v4 batch read of deal→contact associations.

use pc_hubspot::HubspotClient;
use pc_platform::crm::{AccessToken, CrmClient, CrmError, DealContact, DealSearch, StageOperator};
use serde_json::json;
use wiremock::matchers::{body_json, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client() -> (MockServer, HubspotClient) {
    let server = MockServer::start().await;
    let client = HubspotClient::new(&server.uri(), "client-id", "client-secret").unwrap();
    (server, client)
}

fn token() -> AccessToken {
    AccessToken::new("pat-test-token")
}

fn search(after: Option<&str>) -> DealSearch {
    DealSearch {
        stage_ids: vec!["closedlost".into(), "1234567".into()],
        stage_operator: StageOperator::In,
        modified_from: 1_700_000_000_000,
        modified_before: 1_700_000_900_000,
        properties: vec!["dealname".into(), "amount".into()],
        after: after.map(str::to_owned),
        limit: 200,
    }
}

#[tokio::test]
async fn deals_are_searched_by_stage_and_last_change_with_hubspots_shapes() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/search"))
        .and(header("authorization", "Bearer pat-test-token"))
        .and(body_json(json!({
            "filterGroups": [{"filters": [
                {"propertyName": "dealstage", "operator": "IN", "values": ["closedlost", "1234567"]},
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700000000000"},
                {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "1700000900000"}
            ]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["dealname", "amount"],
            "limit": 200,
            "after": "200"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total": 431,
            "results": [{
                "id": "9001",
                "properties": {"dealname": "Lost one", "amount": null, "dealstage": "closedlost",
                    "hs_lastmodifieddate": "2023-11-14T22:13:20.000Z", "hs_object_id": "9001"},
                "createdAt": "2023-11-01T00:00:00.000Z", "updatedAt": "2023-11-14T22:13:20.000Z",
                "archived": false
            }],
            "paging": {"next": {"after": "400", "link": "https://api.hubapi.com/crm/v3/objects/deals/search?after=400"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .search_deals(&token(), &search(Some("200")))
        .await
        .unwrap();
    assert_eq!(page.total, 431);
    assert_eq!(page.after.as_deref(), Some("400"));
    assert_eq!(page.results[0].id, "9001");
    assert_eq!(page.results[0].properties["dealname"], "Lost one");
    assert!(
        !page.results[0].properties.contains_key("amount"),
        "null is absent"
    );
}

#[tokio::test]
async fn the_last_page_has_no_next_and_paging_past_the_cap_is_refused() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/search"))
        .and(body_partial_json(json!({"after": "10000"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error", "category": "VALIDATION_ERROR",
            "message": "There was a problem with the request.",
            "correlationId": "0d4f5a2e-0000-4000-8000-000000000000"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "results": []})))
        .mount(&server)
        .await;
    let last = client.search_deals(&token(), &search(None)).await.unwrap();
    assert_eq!((last.total, last.after, last.results.len()), (0, None, 0));
    let capped = client.search_deals(&token(), &search(Some("10000"))).await;
    assert!(matches!(capped, Err(CrmError::Refused(_))), "{capped:?}");
}

#[tokio::test]
async fn deals_out_of_the_stages_are_searched_with_not_in() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/search"))
        .and(body_partial_json(json!({
            "filterGroups": [{"filters": [
                {"propertyName": "dealstage", "operator": "NOT_IN", "values": ["closedlost", "1234567"]},
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700000000000"},
                {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "1700000900000"}
            ]}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "results": []})))
        .expect(1)
        .mount(&server)
        .await;
    let search = DealSearch {
        stage_operator: StageOperator::NotIn,
        ..search(None)
    };
    let page = client.search_deals(&token(), &search).await.unwrap();
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn a_deals_contacts_are_read_in_one_batch() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v4/associations/deals/contacts/batch/read"))
        .and(body_json(json!({"inputs": [{"id": "9001"}, {"id": "9002"}]})))
        .respond_with(ResponseTemplate::new(207).set_body_json(json!({
            "status": "COMPLETE",
            "results": [{
                "from": {"id": "9001"},
                "to": [{"toObjectId": 501, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": null}]},
                       {"toObjectId": 502, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": null}]}]
            }],
            "numErrors": 1,
            "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "No associations found", "context": {"fromObjectId": ["9002"]}}],
            "startedAt": "2024-01-02T00:00:00.000Z", "completedAt": "2024-01-02T00:00:00.050Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let pairs = client
        .deal_contacts(&token(), &["9001".into(), "9002".into()])
        .await
        .unwrap();
    let pair = |c: &str| DealContact {
        deal_id: "9001".into(),
        contact_id: c.into(),
    };
    assert_eq!(pairs, vec![pair("501"), pair("502")]);
}
