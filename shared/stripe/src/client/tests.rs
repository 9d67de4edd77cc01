//! What the client puts on the wire, and how it fails without an answer.

use std::time::Duration;

use pc_platform::payments::PaymentError;
use stripe_client_core::{AccountId, RequestBuilder, RequestStrategy, StripeMethod};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

#[derive(miniserde::Deserialize)]
struct Object {
    id: String,
}

async fn server_answering(status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(&server)
        .await;
    server
}

fn create_customer() -> RequestBuilder {
    let mut request = RequestBuilder::new(StripeMethod::Post, "/customers");
    request.body = Some("name=Acme%20Roofing&metadata[partnerId]=P01".into());
    request.query = Some("expand[]=tax".into());
    request
}

#[test]
fn the_base_url_gets_the_separator_before_v1() {
    assert_eq!(with_trailing_slash("http://x:1"), "http://x:1/");
    assert_eq!(with_trailing_slash("http://x:1/"), "http://x:1/");
}

#[test]
fn a_key_that_is_not_a_header_or_a_malformed_base_is_a_setup_error() {
    assert!(matches!(
        StripeHttp::new("sk_test\n1", None),
        Err(SetupError::Invalid(_))
    ));
    assert!(matches!(
        StripeHttp::new("sk_test_1", Some("not a url")),
        Err(SetupError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_call_sends_the_key_version_idempotency_key_account_and_form() {
    let server = server_answering(200, r#"{"id": "cus_1", "object": "customer"}"#).await;
    let client = StripeHttp::new("sk_test_1", Some(&server.uri())).unwrap();
    let key = stripe_client_core::IdempotencyKey::new("customer:P01").unwrap();

    let created: Object = create_customer()
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .account_id(AccountId::from("acct_1Seller"))
        .send(&client)
        .await
        .unwrap();

    assert_eq!(created.id, "cus_1");
    let sent = &server.received_requests().await.unwrap()[0];
    let header = |name: &str| sent.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("authorization"), Some("Bearer sk_test_1"));
    assert_eq!(header("stripe-version"), Some(VERSION.as_str()));
    assert_eq!(header("idempotency-key"), Some("customer:P01"));
    assert_eq!(header("stripe-account"), Some("acct_1Seller"));
    assert_eq!(
        header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.url.query(), Some("expand[]=tax"));
    assert_eq!(sent.body, b"name=Acme%20Roofing&metadata[partnerId]=P01");
}

#[tokio::test]
async fn a_read_sends_no_body_and_no_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id": "cus_1"}"#))
        .mount(&server)
        .await;
    let client = StripeHttp::new("sk_test_1", Some(&server.uri())).unwrap();

    let read: Object = RequestBuilder::new(StripeMethod::Get, "/customers/cus_1")
        .customize()
        .send(&client)
        .await
        .unwrap();

    assert_eq!(read.id, "cus_1");
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("idempotency-key").is_none());
    assert!(sent.headers.get("content-type").is_none());
    assert!(sent.body.is_empty());
}

#[tokio::test]
async fn an_answer_missing_a_field_is_retryable() {
    let server = server_answering(200, r#"{"object": "customer"}"#).await;
    let client = StripeHttp::new("sk_test_1", Some(&server.uri())).unwrap();

    let error: PaymentError = create_customer()
        .customize::<Object>()
        .send(&client)
        .await
        .err()
        .unwrap()
        .into();

    assert!(
        matches!(error, PaymentError::Unavailable(ref m) if m.contains("unreadable")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/v1/elsewhere"))
        .mount(&server)
        .await;
    let client = StripeHttp::new("sk_test_1", Some(&server.uri())).unwrap();

    let error: PaymentError = create_customer()
        .customize::<Object>()
        .send(&client)
        .await
        .err()
        .unwrap()
        .into();

    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"id": "cus_1"}"#)
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = StripeHttp::new("sk_test_1", Some(&server.uri())).unwrap();

    let error: PaymentError = create_customer()
        .customize::<Object>()
        .timeout(Duration::from_millis(100))
        .send(&client)
        .await
        .err()
        .unwrap()
        .into();

    assert_eq!(
        error,
        PaymentError::Unavailable("Stripe did not answer in time".into())
    );
}
