use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn sdk() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::for_tests(),
        ))
        .build()
}

#[tokio::test]
async fn a_message_is_posted_to_the_connection_on_moto() {
    let endpoint = crate::moto::endpoint();
    let push = ApiGatewayPush::new(&sdk(), endpoint);
    push.push("conn-moto-1", r#"{"type":"lead-listed"}"#)
        .await
        .expect("moto accepts the post");
}

#[tokio::test]
async fn a_connection_answering_gone_is_reported_gone() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/@connections/conn-closed"))
        .respond_with(
            ResponseTemplate::new(410)
                .insert_header("x-amzn-errortype", "GoneException")
                .set_body_json(serde_json::json!({"message": null})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/@connections/conn-open"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let push = ApiGatewayPush::new(&sdk(), &server.uri());

    assert_eq!(push.push("conn-closed", "{}").await, Err(PushError::Gone));
    push.push("conn-open", "{}").await.unwrap();
    let sent = server.received_requests().await.unwrap();
    let open = sent
        .iter()
        .find(|r| r.url.path() == "/@connections/conn-open")
        .unwrap();
    assert_eq!(open.body, b"{}");
    assert!(
        open.headers.get("authorization").is_some(),
        "signed with SigV4"
    );
}
