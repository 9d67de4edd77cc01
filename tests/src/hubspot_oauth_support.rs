//! Driving HubSpot's OAuth like a browser: the authorize URL leads to the
//! fake HubSpot's consent page on the dev server, which redirects to the
//! callback, which redirects to the SPA. The URLs name the configured dev
//! origin; each hop is sent to the server under test instead, without
//! following redirects, so every `Location` can be read.

use std::time::Duration;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use url::Url;

use crate::{TestApp, expect_json};

/// A client that does not follow redirects.
fn no_redirects() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client builds")
}

/// The authorization URL the SPA would open for `partner_id`.
pub async fn authorize(app: &TestApp, client: &Client, partner_id: &str) -> Url {
    let path = format!("/v1/integrations/hubspot/authorize?partnerId={partner_id}");
    let answer = expect_json(
        app.send(client, reqwest::Method::GET, &path, None).await,
        StatusCode::OK,
    )
    .await;
    Url::parse(
        answer["authorizationUrl"]
            .as_str()
            .expect("authorizationUrl"),
    )
    .expect("the authorization URL parses")
}

/// GETs `url`'s path and query on the server under test; answers the
/// redirect's target.
pub async fn hop(app: &TestApp, url: &Url) -> Url {
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let response = no_redirects()
        .get(app.url(&path))
        .send()
        .await
        .expect("the server answers");
    assert!(
        response.status().is_redirection(),
        "{path} answers {}",
        response.status()
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a Location header");
    Url::parse(location).expect("the Location parses")
}

/// The consent page's redirect: the callback URL with a code and the state.
pub async fn consent(app: &TestApp, authorization: &Url) -> Url {
    hop(app, authorization).await
}

/// The `status` the callback sends the browser to the SPA with.
pub async fn finish(app: &TestApp, callback: &Url) -> String {
    let spa = hop(app, callback).await;
    assert!(
        spa.path().ends_with("/settings/integrations/hubspot"),
        "redirected to {spa}"
    );
    spa.query_pairs()
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.into_owned())
        .expect("a status parameter")
}

/// Connects the partner end to end; answers the SPA's `status`.
pub async fn connect(app: &TestApp, client: &Client, partner_id: &str) -> String {
    let authorization = authorize(app, client, partner_id).await;
    let callback = consent(app, &authorization).await;
    finish(app, &callback).await
}

/// The partner's connection status.
pub async fn status(app: &TestApp, client: &Client, partner_id: &str) -> Value {
    let path = format!("/v1/integrations/hubspot/{partner_id}/status");
    expect_json(
        app.send(client, reqwest::Method::GET, &path, None).await,
        StatusCode::OK,
    )
    .await
}

/// What the fake HubSpot's portal of the partner holds (`deals`,
/// `pipelines`, `portal`...).
pub async fn portal_view(app: &TestApp, partner_id: &str, view: &str) -> Value {
    expect_json(
        app.get(&format!("/dev/hubspot/{partner_id}/{view}")).await,
        StatusCode::OK,
    )
    .await
}

/// Replaces a query parameter of `url`.
pub fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// A query parameter of `url`.
pub fn param(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
