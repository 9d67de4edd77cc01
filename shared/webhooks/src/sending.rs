//! The POST of one attempt, behind the SSRF guard. The URL is checked
//! again at every attempt (`https://` unless local receivers are allowed,
//! no literal local or private address), and the host is resolved by the
//! guard itself, inside the HTTP client: every address it resolves to must
//! be public, and the connection goes to the address checked, so a DNS
//! answer that changes between the check and the connection (rebinding)
//! cannot slip through. Redirects are not followed (a 3xx is a failure),
//! so a receiver cannot bounce the request inwards either.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use pc_platform::receivers::{check_url, refusal};

use crate::signing::{SIGNATURE_HEADER, signature_header};

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The `User-Agent` of deliveries.
pub const USER_AGENT: &str = "PartnerConnector-Webhooks/1.0";
/// The header carrying the delivery id, the same on every attempt of one
/// delivery, for receivers to apply it once.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The header naming the event type.
pub const EVENT_TYPE_HEADER: &str = "X-PC-Event-Type";

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration: Duration,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }

    fn refused(why: String) -> Self {
        Self {
            status_code: None,
            error: Some(format!("refused: {why}")),
            duration: Duration::ZERO,
        }
    }
}

/// Resolves names for the client and refuses any that reaches a forbidden
/// address.
struct GuardedResolver {
    allow_local: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.allow_local;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no address").into());
            }
            if let Some((why, ip)) = found
                .iter()
                .find_map(|a| refusal(a.ip(), allow_local).map(|why| (why, a.ip())))
            {
                return Err(format!("{host} resolves to {why} ({ip})").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The client of one allowance: pooled connections, the guard as its
/// only resolver, no redirects, the attempt timeout, and no proxy: a proxy
/// from the environment (`HTTPS_PROXY`) would resolve and connect to the
/// receiver itself, past the guard.
fn client(allow_local: bool) -> &'static reqwest::Client {
    static STRICT: OnceLock<reqwest::Client> = OnceLock::new();
    static LOCAL: OnceLock<reqwest::Client> = OnceLock::new();
    let cell = if allow_local { &LOCAL } else { &STRICT };
    cell.get_or_init(|| {
        reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_local }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(USER_AGENT)
            .https_only(!allow_local)
            .build()
            .expect("the webhook HTTP client builds")
    })
}

/// What one attempt sends.
pub struct Request<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub body: &'a str,
    pub delivery_id: &'a str,
    pub event_type: &'a str,
    /// Unix seconds, signed with the body.
    pub timestamp: i64,
}

/// Sends one attempt; never fails, the outcome says what happened.
pub async fn post(request: Request<'_>, allow_local: bool) -> Outcome {
    if let Err(why) = check_url(request.url, allow_local) {
        return Outcome::refused(format!("the URL {why}"));
    }
    let started = Instant::now();
    let sent = client(allow_local)
        .post(request.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature_header(request.secret, request.timestamp, request.body.as_bytes()),
        )
        .header(IDEMPOTENCY_HEADER, request.delivery_id)
        .header(EVENT_TYPE_HEADER, request.event_type)
        .body(request.body.to_owned())
        .send()
        .await;
    let duration = started.elapsed();
    match sent {
        Ok(response) if response.status().is_success() => Outcome {
            status_code: Some(response.status().as_u16()),
            error: None,
            duration,
        },
        Ok(response) => Outcome {
            status_code: Some(response.status().as_u16()),
            error: Some(format!("the receiver answered {}", response.status())),
            duration,
        },
        Err(e) => Outcome {
            status_code: None,
            error: Some(describe(&e)),
            duration,
        },
    }
}

/// The error and its causes, in one line (the guard's refusal is a cause).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if text.contains("resolves to") {
        format!("refused: {text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(url: &str) -> Request<'_> {
        Request {
            url,
            secret: "whsec_test",
            body: "{}",
            delivery_id: "whd_1",
            event_type: "lead.created",
            timestamp: 0,
        }
    }

    #[tokio::test]
    async fn local_and_private_receivers_are_refused_before_any_connection() {
        for url in [
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[fd00:ec2::254]/hook",
            "http://hooks.example.com/hook",
        ] {
            let outcome = post(to(url), false).await;
            assert!(!outcome.delivered(), "{url}");
            assert!(
                outcome.error.as_deref().unwrap().starts_with("refused"),
                "{url}: {outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_by_the_resolver() {
        // `localhost` resolves without any network.
        let refused = GuardedResolver { allow_local: false }
            .resolve("localhost".parse::<Name>().unwrap())
            .await;
        let message = refused.err().expect("refused").to_string();
        assert!(message.contains("loopback"), "{message}");
        let allowed = GuardedResolver { allow_local: true }
            .resolve("localhost".parse::<Name>().unwrap())
            .await;
        assert!(allowed.is_ok());
    }
}
