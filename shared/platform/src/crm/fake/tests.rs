//! The fake HubSpot through its port: OAuth end to end, batches with
//! partial failures, the rate limit, and signed webhook batches.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::super::signature::{SignedRequest, verify};
use super::super::*;
use super::*;
use crate::clock::SettableClock;
use crate::store::embedded::EmbeddedStore;

const REDIRECT: &str = "http://127.0.0.1:3000/v1/integrations/hubspot/callback";

fn fake() -> (FakeHubspot, Arc<SettableClock>) {
    let clock = Arc::new(SettableClock::default());
    let fake = FakeHubspot::new(
        Arc::new(EmbeddedStore::in_memory()),
        clock.clone(),
        Some("client-secret".into()),
        "http://127.0.0.1:3000".into(),
    );
    (fake, clock)
}

async fn connect(fake: &FakeHubspot) -> (String, OAuthTokens) {
    let (portal, code) = fake.consent(REDIRECT, None).await.unwrap();
    let tokens = fake.exchange_code(&code, REDIRECT).await.unwrap();
    (portal, tokens)
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

#[tokio::test]
async fn a_code_is_exchanged_once_and_tokens_refresh() {
    let (fake, _) = fake();
    let (portal, code) = fake.consent(REDIRECT, None).await.unwrap();
    assert_eq!(
        fake.exchange_code(&code, "http://elsewhere/cb").await,
        Err(CrmError::Refused(
            "redirect_uri does not match the authorization request".into()
        ))
    );
    let tokens = fake.exchange_code(&code, REDIRECT).await.unwrap();
    assert_eq!(
        fake.exchange_code(&code, REDIRECT).await,
        Err(CrmError::Unauthorized)
    );
    let info = fake.token_info(&tokens.access_token).await.unwrap();
    assert_eq!(info.portal_id, portal);
    assert!(info.scopes.contains(&"crm.objects.deals.write".to_owned()));
    let refreshed = fake.refresh(&tokens.refresh_token).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert!(fake.list_pipelines(&refreshed.access_token).await.is_ok());
    fake.set_revoked(&portal, true).await.unwrap();
    assert_eq!(
        fake.refresh(&tokens.refresh_token).await,
        Err(CrmError::Unauthorized)
    );
    assert_eq!(
        fake.list_pipelines(&refreshed.access_token).await,
        Err(CrmError::Unauthorized)
    );
}

#[tokio::test]
async fn an_access_token_expires_after_thirty_minutes() {
    let (fake, clock) = fake();
    let (_, tokens) = connect(&fake).await;
    clock.advance(chrono::Duration::seconds(ACCESS_TOKEN_SECONDS + 1));
    assert_eq!(
        fake.list_pipelines(&tokens.access_token).await,
        Err(CrmError::Unauthorized)
    );
}

#[tokio::test]
async fn batches_upsert_by_email_and_report_failures_beside_results() {
    let (fake, _) = fake();
    let (portal, tokens) = connect(&fake).await;
    let token = &tokens.access_token;
    let upsert = |email: &str, name: &str| ContactUpsert {
        email: email.into(),
        properties: props(&[("firstname", name)]),
    };
    let first = fake
        .batch_upsert_contacts(
            token,
            &[upsert("A@x.test", "Ann"), upsert("b@x.test", "Bob")],
        )
        .await
        .unwrap();
    assert_eq!(first.results.len(), 2);
    let again = fake
        .batch_upsert_contacts(token, &[upsert("a@x.test", "Anna")])
        .await
        .unwrap();
    assert_eq!(again.results[0].id, first.results[0].id);
    assert_eq!(
        fake.objects(&portal, ObjectType::Contacts)
            .await
            .unwrap()
            .len(),
        2
    );

    let deals = fake
        .batch_create(
            token,
            ObjectType::Deals,
            &[
                NewObject {
                    properties: props(&[("dealname", "ok"), ("dealstage", "closedwon")]),
                    trace_id: Some("l1".into()),
                },
                NewObject {
                    properties: props(&[("dealname", "bad"), ("dealstage", "nope")]),
                    trace_id: Some("l2".into()),
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(deals.results.len(), 1);
    assert_eq!(deals.results[0].trace_id.as_deref(), Some("l1"));
    assert_eq!(deals.failures[0].inputs, vec!["l2".to_owned()]);
    let update = fake
        .batch_update(
            token,
            ObjectType::Deals,
            &[ObjectUpdate {
                id: "999999".into(),
                properties: props(&[("amount", "5")]),
            }],
        )
        .await
        .unwrap();
    assert_eq!(update.failures[0].category, "OBJECT_NOT_FOUND");
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert!(matches!(
        fake.batch_read(token, ObjectType::Deals, &too_many, &[])
            .await,
        Err(CrmError::Refused(_))
    ));
    let pair = DealContact {
        deal_id: deals.results[0].id.clone(),
        contact_id: first.results[0].id.clone(),
    };
    fake.associate_deals_with_contacts(token, std::slice::from_ref(&pair))
        .await
        .unwrap();
    assert_eq!(
        fake.deal_contacts(token, std::slice::from_ref(&pair.deal_id))
            .await
            .unwrap(),
        vec![pair]
    );
    let page = fake
        .search_modified_since(token, ObjectType::Contacts, 0, &[], None, 1)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert!(page.after.is_some());
}

#[tokio::test]
async fn past_the_rate_limit_a_call_is_told_when_to_retry() {
    let (fake, _) = fake();
    let (portal, tokens) = connect(&fake).await;
    fake.set_rate_limit(&portal, Some(2)).await.unwrap();
    let mut limited = None;
    for _ in 0..3 {
        if let Err(e) = fake.list_pipelines(&tokens.access_token).await {
            limited = Some(e);
        }
    }
    match limited {
        Some(CrmError::RateLimited { retry_after }) => {
            assert!(retry_after.as_secs() >= 1 && retry_after.as_secs() <= 10)
        }
        other => panic!("expected a 429, got {other:?}"),
    }
    let counted = fake.portal(&portal).await.unwrap().unwrap();
    assert_eq!((counted.requests, counted.rate_limited), (3, 1));
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(String, String, i64)>>);

#[async_trait]
impl WebhookEndpoint for Recorder {
    fn uri(&self) -> String {
        "https://dev.test/leads/hubspot".into()
    }
    async fn deliver(&self, body: &str, signature: &str, at: i64) -> Result<u16, String> {
        self.0
            .lock()
            .unwrap()
            .push((body.into(), signature.into(), at));
        Ok(200)
    }
}

#[tokio::test]
async fn a_user_change_sends_a_signed_batch_per_change() {
    let (fake, _) = fake();
    let recorder = Arc::new(Recorder::default());
    fake.deliver_to(recorder.clone());
    let (portal, tokens) = connect(&fake).await;
    let created = fake
        .batch_create(
            &tokens.access_token,
            ObjectType::Deals,
            &[NewObject {
                properties: props(&[("dealname", "d")]),
                trace_id: None,
            }],
        )
        .await
        .unwrap();
    assert!(
        recorder.0.lock().unwrap().is_empty(),
        "API writes send no webhook"
    );
    let id = &created.results[0].id;
    let changed = fake
        .user_update(
            &portal,
            ObjectType::Deals,
            id,
            &props(&[("dealstage", "closedwon"), ("dealname", "d")]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.properties["dealstage"], "closedwon");
    let sent = recorder.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let (body, signature, at) = &sent[0];
    let events: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        events.as_array().unwrap().len(),
        1,
        "only the changed property"
    );
    assert_eq!(events[0]["subscriptionType"], "deal.propertyChange");
    assert_eq!(events[0]["propertyValue"], "closedwon");
    let request = SignedRequest {
        method: "POST",
        uri: "https://dev.test/leads/hubspot",
        body: body.as_bytes(),
        timestamp_millis: *at,
    };
    assert_eq!(verify("client-secret", signature, &request, *at), Ok(()));
    let batches = fake.sent_batches(&portal).await.unwrap();
    assert_eq!(batches[0].delivery_status, Some(200));
    fake.redeliver(&portal, &batches[0].batch_id).await.unwrap();
    assert_eq!(recorder.0.lock().unwrap().len(), 2);
    assert!(matches!(
        fake.user_update(
            &portal,
            ObjectType::Deals,
            id,
            &props(&[("dealstage", "nope")])
        )
        .await,
        Err(CrmError::Refused(_))
    ));
}

#[tokio::test]
async fn a_user_creates_a_deal_with_its_contacts_or_nothing() {
    let (fake, _) = fake();
    let (portal, _) = connect(&fake).await;
    let contact = fake
        .user_create(
            &portal,
            ObjectType::Contacts,
            props(&[("email", "lost@deal.example")]),
            &[],
        )
        .await
        .unwrap();
    let deal = fake
        .user_create(
            &portal,
            ObjectType::Deals,
            props(&[("dealname", "Lost"), ("dealstage", "closedlost")]),
            &[contact.id.clone(), contact.id.clone()],
        )
        .await
        .unwrap();
    assert_eq!(
        fake.associations(&portal).await.unwrap(),
        [DealContact {
            deal_id: deal.id.clone(),
            contact_id: contact.id.clone(),
        }]
    );

    // An unknown contact refuses the whole creation.
    let refused = fake
        .user_create(
            &portal,
            ObjectType::Deals,
            props(&[("dealname", "Orphan")]),
            &["999999".into()],
        )
        .await;
    assert!(matches!(refused, Err(CrmError::Refused(m)) if m.contains("999999")));
    assert_eq!(
        fake.objects(&portal, ObjectType::Deals)
            .await
            .unwrap()
            .len(),
        1
    );
    // Only deals are created with contacts.
    let refused = fake
        .user_create(
            &portal,
            ObjectType::Contacts,
            props(&[("email", "x@y.example")]),
            std::slice::from_ref(&contact.id),
        )
        .await;
    assert!(matches!(refused, Err(CrmError::Refused(_))));
}

fn deal_search(stages: &[&str], from: i64, before: i64, after: Option<&str>) -> DealSearch {
    DealSearch {
        stage_ids: stages.iter().map(|s| (*s).to_owned()).collect(),
        stage_operator: StageOperator::In,
        modified_from: from,
        modified_before: before,
        properties: vec!["dealname".into(), "dealstage".into()],
        after: after.map(str::to_owned),
        limit: 2,
    }
}

#[tokio::test]
async fn deal_search_filters_by_stage_and_window_and_pages_like_hubspot() {
    let (fake, clock) = fake();
    let (portal, tokens) = connect(&fake).await;
    fake.set_search_rate_limit(&portal, Some(1_000))
        .await
        .unwrap();
    let start = clock.now().timestamp_millis();
    let mut lost = Vec::new();
    let mut last_lost_at = 0;
    for (i, stage) in ["closedlost", "closedwon", "closedlost", "closedlost"]
        .iter()
        .enumerate()
    {
        clock.advance(chrono::Duration::seconds(1));
        let deal = fake
            .user_create(
                &portal,
                ObjectType::Deals,
                props(&[("dealname", &format!("deal {i}")), ("dealstage", stage)]),
                &[],
            )
            .await
            .unwrap();
        if *stage == "closedlost" {
            last_lost_at = chrono::DateTime::parse_from_rfc3339(&deal.updated_at)
                .unwrap()
                .timestamp_millis();
            lost.push(deal.id);
        }
    }
    let end = clock.now().timestamp_millis() + 1;
    let token = &tokens.access_token;
    let first = fake
        .search_deals(token, &deal_search(&["closedlost"], start, end, None))
        .await
        .unwrap();
    assert_eq!(first.total, 3);
    assert_eq!(first.after.as_deref(), Some("2"));
    let second = fake
        .search_deals(
            token,
            &deal_search(&["closedlost"], start, end, first.after.as_deref()),
        )
        .await
        .unwrap();
    assert_eq!(second.after, None);
    let ids: Vec<String> = first
        .results
        .iter()
        .chain(&second.results)
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(ids, lost, "oldest change first");
    assert!(
        first.results[0]
            .properties
            .contains_key("hs_lastmodifieddate")
    );
    // The window's end is exclusive.
    let early = fake
        .search_deals(
            token,
            &deal_search(&["closedlost"], start, last_lost_at, None),
        )
        .await
        .unwrap();
    assert_eq!(early.total, 2);
    // `NOT_IN`: the deals of every other stage.
    let elsewhere = fake
        .search_deals(
            token,
            &DealSearch {
                stage_operator: StageOperator::NotIn,
                ..deal_search(&["closedlost"], start, end, None)
            },
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 1);
    assert_eq!(elsewhere.results[0].properties["dealstage"], "closedwon");
    // Paging at or past the 10,000th result is refused, as HubSpot does.
    let capped = fake
        .search_deals(
            token,
            &deal_search(&["closedlost"], start, end, Some("10000")),
        )
        .await;
    assert!(
        matches!(&capped, Err(CrmError::Refused(m)) if m.contains("10000")),
        "{capped:?}"
    );
    let mut too_big = deal_search(&["closedlost"], start, end, None);
    too_big.limit = SEARCH_PAGE_LIMIT + 1;
    assert!(matches!(
        fake.search_deals(token, &too_big).await,
        Err(CrmError::Refused(_))
    ));
}

#[tokio::test]
async fn searches_past_their_own_limit_are_told_to_wait_a_second() {
    let (fake, _) = fake();
    let (portal, tokens) = connect(&fake).await;
    // One a second: of three calls made at once, two share a second.
    fake.set_search_rate_limit(&portal, Some(1)).await.unwrap();
    let mut limited = 0;
    for _ in 0..3 {
        match fake
            .search_deals(
                &tokens.access_token,
                &deal_search(&["closedlost"], 0, i64::MAX / 2, None),
            )
            .await
        {
            Err(CrmError::RateLimited { retry_after }) => {
                assert_eq!(retry_after.as_secs(), 1);
                limited += 1;
            }
            other => assert!(other.is_ok(), "{other:?}"),
        }
    }
    assert!(limited >= 1);
    let counted = fake.portal(&portal).await.unwrap().unwrap();
    assert_eq!(counted.rate_limited, limited);
    // Other calls are not counted against the searches' limit.
    assert!(fake.list_pipelines(&tokens.access_token).await.is_ok());
}
