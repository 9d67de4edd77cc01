//! A real WebSocket client of the dev server's `GET /ws` (tokio-tungstenite),
//! signed in by cookie or by `?token=`, reading the events it is sent.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::TestApp;
use crate::accounts_support::{bare_client, set_cookie};
use crate::leads_support::PASSWORD;

/// How long a client waits for an event before the scenario fails.
const EVENT_DEADLINE: Duration = Duration::from_secs(20);

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How the socket presents its access token.
pub enum Credentials<'a> {
    Cookie(&'a str),
    Query(&'a str),
    None,
}

/// A fresh access token of `email`.
pub async fn access_token(app: &TestApp, email: &str) -> String {
    let response = app.sign_in_as(&bare_client(), email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
    set_cookie(&response, "accessToken").expect("an access token cookie")
}

fn ws_url(app: &TestApp, query: &str) -> String {
    format!("ws://{}/ws{query}", app.server.addr)
}

/// Opens `/ws`; answers the socket, or the HTTP status that refused it.
pub async fn open(app: &TestApp, credentials: Credentials<'_>) -> Result<Socket, u16> {
    let url = match credentials {
        Credentials::Query(token) => ws_url(app, &format!("?token={token}")),
        _ => ws_url(app, ""),
    };
    let mut request = url.into_client_request().expect("a WebSocket request");
    if let Credentials::Cookie(token) = credentials {
        let cookie = format!("accessToken={token}")
            .parse()
            .expect("a header value");
        request.headers_mut().insert("cookie", cookie);
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
