//! Helpers of the accounts scenarios: reading tokens out of emails and
//! cookies, and bringing invited users to life over HTTP.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, browser, expect_json};

/// A password that passes the policy.
pub const PASSWORD: &str = "Correct-Horse-42";

/// The `token=` query parameter of the first link in an email's text.
pub fn token_from_mail(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap_or_default();
    let start = text.find("token=").expect("the email carries a token link") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The value of cookie `name` set by a response.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.to_owned())
        })
}

/// A client without a cookie jar, for handling tokens by hand.
pub fn bare_client() -> Client {
    Client::builder().build().expect("a reqwest client builds")
}

/// `GET path` with `Authorization: Bearer <token>`.
pub async fn get_with_bearer(app: &TestApp, path: &str, token: &str) -> Response {
    bare_client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers")
}

/// `POST /auth/token/refresh` with the refresh token as a cookie.
pub async fn refresh_with(app: &TestApp, refresh_token: &str) -> Response {
    bare_client()
        .post(app.url("/auth/token/refresh"))
        .header("cookie", format!("refreshToken={refresh_token}"))
        .send()
        .await
        .expect("the server answers")
}

/// Creates a partner as `client` (an owner); answers its JSON.
pub async fn create_partner(app: &TestApp, client: &Client, name: &str) -> Value {
    let response = app
        .send(
            client,
            Method::POST,
            "/v1/partners",
            Some(&json!({"name": name})),
        )
        .await;
    expect_json(response, StatusCode::CREATED).await
}

/// Invites `email` as `inviter`, accepts the emailed invitation with
/// [`PASSWORD`] and answers the new user's signed-in browser and id.
pub async fn invite_and_accept(
    app: &TestApp,
    inviter: &Client,
    email: &str,
    role: &str,
    partner_id: Option<&str>,
) -> (Client, String) {
    let response = app
        .send(
            inviter,
            Method::POST,
            "/v1/users",
            Some(
                &json!({"email": email, "name": "Invited", "role": role, "partnerId": partner_id}),
            ),
        )
        .await;
    let created = expect_json(response, StatusCode::CREATED).await;
    let mail = app.wait_for_mail(email, "invitation").await;
    let token = token_from_mail(&mail);
    let user = browser();
    let response = app
        .send(
            &user,
            Method::POST,
            "/auth/complete-registration",
            Some(&json!({"token": token, "name": format!("{role} {email}"), "password": PASSWORD})),
        )
        .await;
    expect_json(response, StatusCode::OK).await;
    (user, created["id"].as_str().unwrap_or_default().to_owned())
}

/// The status of `method path [body]` sent by `client`.
pub async fn status_of(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> u16 {
    app.send(client, method, path, body).await.status().as_u16()
}
