//! A real WebSocket client of the dev server's `GET /ws` (tokio-tungstenite),
//! signed in by cookie or by a connection ticket (`?ticket=`), sending the
//! `Origin` a browser on the SPA's page sends, reading the events it is
//! sent.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::accounts_support::{bare_client, set_cookie};
use crate::leads_support::PASSWORD;
use crate::{TestApp, expect_json};

/// How long a client waits for an event before the scenario fails.
const EVENT_DEADLINE: Duration = Duration::from_secs(20);

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the socket presents.
pub enum Credentials<'a> {
    /// The `accessToken` cookie.
    Cookie(&'a str),
    /// A connection ticket in `?ticket=`.
    Ticket(&'a str),
    /// An access token in `?token=` (which opens nothing).
    TokenInUrl(&'a str),
    None,
}

/// A fresh access token of `email`.
pub async fn access_token(app: &TestApp, email: &str) -> String {
    let response = app.sign_in_as(&bare_client(), email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
    set_cookie(&response, "accessToken").expect("an access token cookie")
}

/// A connection ticket of the holder of `token`, as the SPA asks for one.
pub async fn ticket(app: &TestApp, token: &str) -> String {
    let response = bare_client()
        .post(app.url("/v1/realtime/ticket"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("the server answers");
    let body = expect_json(response, StatusCode::CREATED).await;
    assert!(body["expiresAt"].is_string(), "{body}");
    body["ticket"].as_str().expect("a ticket").to_owned()
}

fn ws_url(app: &TestApp, query: &str) -> String {
    format!("ws://{}/ws{query}", app.server.addr)
}

/// Opens `/ws` from the SPA's page; answers the socket, or the HTTP status
/// that refused it.
pub async fn open(app: &TestApp, credentials: Credentials<'_>) -> Result<Socket, u16> {
    let origin = app.server.context.config.cors_origin.clone();
    open_from(app, credentials, Some(&origin)).await
}

/// Opens `/ws` from a page of `origin` (`None`: a client that is no browser).
pub async fn open_from(
    app: &TestApp,
    credentials: Credentials<'_>,
    origin: Option<&str>,
) -> Result<Socket, u16> {
    let url = match credentials {
        Credentials::Ticket(ticket) => ws_url(app, &format!("?ticket={ticket}")),
        Credentials::TokenInUrl(token) => ws_url(app, &format!("?token={token}")),
        _ => ws_url(app, ""),
    };
    let mut request = url.into_client_request().expect("a WebSocket request");
    if let Credentials::Cookie(token) = credentials {
        let cookie = format!("accessToken={token}")
            .parse()
            .expect("a header value");
        request.headers_mut().insert("cookie", cookie);
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("a header value"));
    }
    match connect_async(request).await {
        Ok((stream, _)) => Ok(Socket { stream }),
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("the WebSocket handshake failed: {e}"),
    }
}

impl Socket {
    /// The next event of type `kind` (others are skipped); fails the
    /// scenario when none comes before the deadline.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        let wait = async {
            while let Some(message) = self.stream.next().await {
                if let Ok(Message::Text(text)) = message {
                    let event: Value = serde_json::from_str(text.as_str()).expect("a JSON event");
                    if event["type"] == kind {
                        return event;
                    }
                }
            }
            panic!("the socket closed before a {kind} event");
        };
        tokio::time::timeout(EVENT_DEADLINE, wait)
            .await
            .unwrap_or_else(|_| panic!("no {kind} event arrived"))
    }

    pub async fn say(&mut self, message: &Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("the message is sent");
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
