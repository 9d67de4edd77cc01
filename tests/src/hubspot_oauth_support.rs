//! Driving HubSpot's OAuth like a browser: the authorize URL leads to the
//! fake HubSpot's consent page on the dev server, which redirects to the
//! callback, which redirects to the SPA. The URLs name the dev server's own
//! origin (the port it listens on); each hop is sent to the server under test instead, without
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

/// The binding cookie's name.
pub const BINDING_COOKIE: &str = "hubspotOauthBinding";

/// A step of the flow in one browser: the URL it goes to, and the binding
/// cookie that browser holds (`None`: a browser that never asked).
#[derive(Clone, Debug)]
pub struct Flow {
    pub url: Url,
    pub cookie: Option<String>,
}

impl Flow {
    /// The same URL opened in another browser, holding `cookie`.
    pub fn in_browser_with(&self, cookie: Option<String>) -> Flow {
        Flow {
            url: self.url.clone(),
            cookie,
        }
    }
}

impl std::ops::Deref for Flow {
    type Target = Url;
    fn deref(&self) -> &Url {
        &self.url
    }
}

impl std::ops::DerefMut for Flow {
    fn deref_mut(&mut self) -> &mut Url {
        &mut self.url
    }
}

/// The authorization URL the SPA would open for `partner_id`, with the
/// binding cookie `authorize` set in the asking browser.
pub async fn authorize(app: &TestApp, client: &Client, partner_id: &str) -> Flow {
    let path = format!("/v1/integrations/hubspot/authorize?partnerId={partner_id}");
    let response = app.send(client, reqwest::Method::GET, &path, None).await;
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{BINDING_COOKIE}=")))
        .expect("authorize sets the binding cookie")
        .to_owned();
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/v1/integrations/hubspot/callback",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_owned());
    let answer = expect_json(response, StatusCode::OK).await;
    let url = Url::parse(
        answer["authorizationUrl"]
            .as_str()
            .expect("authorizationUrl"),
    )
    .expect("the authorization URL parses");
    Flow { url, cookie }
}

/// GETs the flow's path and query on the server under test, with its
/// browser's binding cookie; answers the redirect's target in the same
/// browser.
pub async fn hop(app: &TestApp, flow: &Flow) -> Flow {
    let url = &flow.url;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut request = no_redirects().get(app.url(&path));
    if let Some(cookie) = &flow.cookie {
        request = request.header("cookie", format!("{BINDING_COOKIE}={cookie}"));
    }
    let response = request.send().await.expect("the server answers");
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
    Flow {
        url: Url::parse(location).expect("the Location parses"),
        cookie: flow.cookie.clone(),
    }
}

/// The consent page's redirect: the callback URL with a code and the state.
pub async fn consent(app: &TestApp, authorization: &Flow) -> Flow {
    hop(app, authorization).await
}

/// The `status` the callback sends the browser to the SPA with.
pub async fn finish(app: &TestApp, callback: &Flow) -> String {
    finish_with_reason(app, callback).await.0
}

/// The `status` and the `reason` (empty when none) the callback sends the
/// browser to the SPA with.
pub async fn finish_with_reason(app: &TestApp, callback: &Flow) -> (String, String) {
    let spa = hop(app, callback).await;
    assert!(
        spa.path().ends_with("/settings/integrations/hubspot"),
        "redirected to {}",
        spa.url
    );
    let status = param(&spa, "status");
    assert!(!status.is_empty(), "a status parameter: {}", spa.url);
    (status, param(&spa, "reason"))
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

/// Replaces a query parameter of the flow's URL.
pub fn with_param(flow: &Flow, name: &str, value: &str) -> Flow {
    let url = &flow.url;
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
    let mut changed = flow.clone();
    changed.url.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// A query parameter of `url`.
pub fn param(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
