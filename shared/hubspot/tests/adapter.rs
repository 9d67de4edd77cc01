//! The HubSpot adapter over HTTP against wiremock, with request and
//! response shapes from HubSpot's API reference: batch upsert, 429 then
//! success, a 429 storm handed back to the caller, 5xx, 401, a refused
//! refresh token, token info, pipelines.

use std::time::Duration;

use pc_hubspot::{HubspotClient, RATE_LIMIT_RETRIES};
use pc_platform::crm::{AccessToken, ContactUpsert, CrmClient, CrmError, ObjectType, RefreshToken};
use serde_json::json;
use wiremock::matchers::{body_partial_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client() -> (MockServer, HubspotClient) {
    let server = MockServer::start().await;
    let client = HubspotClient::new(&server.uri(), "client-id", "client-secret").unwrap();
    (server, client)
}

fn token() -> AccessToken {
    AccessToken::new("pat-test-token")
}

fn upsert_answer() -> serde_json::Value {
    json!({
        "status": "COMPLETE",
        "results": [{"id": "512", "properties": {"email": "ann@x.test", "firstname": "Ann", "hs_object_id": "512"},
            "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-02T00:00:00.000Z", "archived": false}],
        "startedAt": "2024-01-02T00:00:00.000Z", "completedAt": "2024-01-02T00:00:00.100Z"
    })
}

fn ann() -> Vec<ContactUpsert> {
    vec![ContactUpsert {
        email: "ann@x.test".into(),
        properties: [("firstname".to_owned(), "Ann".to_owned())].into(),
    }]
}

#[tokio::test]
async fn contacts_are_upserted_by_email_with_the_bearer_token() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .and(header("authorization", "Bearer pat-test-token"))
        .and(body_partial_json(json!({"inputs": [{"idProperty": "email", "id": "ann@x.test", "properties": {"firstname": "Ann"}}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(upsert_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client
        .batch_upsert_contacts(&token(), &ann())
        .await
        .unwrap();
    assert_eq!(outcome.results[0].id, "512");
    assert_eq!(outcome.results[0].properties["firstname"], "Ann");
}

#[tokio::test]
async fn a_429_is_waited_out_then_the_call_succeeds() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .respond_with(ResponseTemplate::new(200).set_body_json(upsert_answer()))
        .mount(&server)
        .await;
    let outcome = client
        .batch_upsert_contacts(&token(), &ann())
        .await
        .unwrap();
    assert_eq!(outcome.results.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_429_storm_goes_back_to_the_caller_with_the_wait() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/read"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .mount(&server)
        .await;
    let answer = client
        .batch_read(&token(), ObjectType::Deals, &["1".into()], &[])
        .await;
    assert_eq!(
        answer,
        Err(CrmError::RateLimited {
            retry_after: Duration::from_secs(1)
        })
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        RATE_LIMIT_RETRIES + 1
    );

    // A long wait is not spent in place.
    let (server, client) = self::client().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
        .mount(&server)
        .await;
    let answer = client
        .batch_read(&token(), ObjectType::Deals, &["1".into()], &[])
        .await;
    assert_eq!(
        answer,
        Err(CrmError::RateLimited {
            retry_after: Duration::from_secs(60)
        })
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn server_errors_are_unavailable_and_401_unauthorized() {
    let (server, client) = client().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/pipelines/deals"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_json(json!({"status": "error", "message": "Bad gateway"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/pipelines/deals"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"status": "error", "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"})))
        .mount(&server)
        .await;
    assert_eq!(
        client.list_pipelines(&token()).await,
        Err(CrmError::Unavailable("Bad gateway".into()))
    );
    assert_eq!(
        client.list_pipelines(&token()).await,
        Err(CrmError::Unauthorized)
    );
}

#[tokio::test]
async fn a_refused_refresh_token_is_unauthorized_and_a_good_one_refreshes() {
    let (server, client) = client().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v1/token"))
        .and(body_string_contains("refresh_token=revoked"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/v1/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("client_secret=client-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_type": "bearer", "refresh_token": "good", "access_token": "new-access", "expires_in": 1800})))
        .mount(&server)
        .await;
    assert_eq!(
        client.refresh(&RefreshToken::new("revoked")).await,
        Err(CrmError::Unauthorized)
    );
    let tokens = client.refresh(&RefreshToken::new("good")).await.unwrap();
    assert_eq!(tokens.access_token.expose(), "new-access");
    assert_eq!(tokens.expires_in_seconds, 1800);
}

#[tokio::test]
async fn token_info_gives_the_portal_and_scopes() {
    let (server, client) = client().await;
    Mock::given(method("GET"))
        .and(path("/oauth/v1/access-tokens/pat-test-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token": "pat-test-token", "user": "a@b.test", "hub_domain": "demo.hubspot.com",
            "scopes": ["oauth", "crm.objects.deals.write"], "hub_id": 62515, "app_id": 456,
            "expires_in": 1754, "user_id": 123, "token_type": "access"})))
        .mount(&server)
        .await;
    let info = client.token_info(&token()).await.unwrap();
    assert_eq!(info.portal_id, "62515");
    assert_eq!(info.scopes, vec!["oauth", "crm.objects.deals.write"]);
    assert_eq!(info.expires_in_seconds, 1754);
}

#[tokio::test]
async fn errors_never_carry_the_token() {
    let client = HubspotClient::new("http://127.0.0.1:9", "id", "secret").unwrap();
    let error = client.token_info(&token()).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)));
    assert!(!error.to_string().contains("pat-test-token"), "{error}");
}
