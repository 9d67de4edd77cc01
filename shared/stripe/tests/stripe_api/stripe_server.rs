//! A local stand-in for Stripe's API: answers one route with a fixture,
//! and shows what the adapter sent.

use pc_stripe::StripePayments;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The secret key the adapter under test holds.
pub const SECRET_KEY: &str = "sk_test_51PartnerConnectorLocalKey";

pub struct StripeServer {
    server: MockServer,
}

/// One request as Stripe received it.
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    request: wiremock::Request,
    /// The form-encoded body, decoded, in order.
    pub form: Vec<(String, String)>,
}

impl StripeServer {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// The adapter, talking to this server.
    pub fn payments(&self) -> StripePayments {
        StripePayments::new(SECRET_KEY, Some(&self.server.uri())).expect("client builds")
    }

    /// Answers `verb route` with `status` and `body`.
    pub async fn answers(&self, verb: &str, route: &str, status: u16, body: Value) {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// Every request received so far.
    pub async fn received(&self) -> Vec<Received> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.into_iter().map(Received::from).collect()
    }

    /// The one request received; fails the test if there were others.
    pub async fn only_request(&self) -> Received {
        let mut received = self.received().await;
        assert_eq!(received.len(), 1, "one request to Stripe");
        received.remove(0)
    }
}

impl From<wiremock::Request> for Received {
    fn from(request: wiremock::Request) -> Self {
        let form = url::form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            form,
            request,
        }
    }
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of form field `name` (`metadata[partnerId]`).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts each `(field, value)` was sent.
    pub fn assert_fields(&self, expected: &[(&str, &str)]) {
        for (name, value) in expected {
            assert_eq!(
                self.field(name),
                Some(*value),
                "form field {name} of {} {}; sent: {:?}",
                self.method,
                self.path,
                self.form
            );
        }
    }

    /// Asserts the request carried the secret key, and `key` as its
    /// idempotency key (`None`: no key, as for reads).
    pub fn assert_signed_with(&self, key: Option<&str>) {
        let bearer = format!("Bearer {SECRET_KEY}");
        assert_eq!(self.header("authorization"), Some(bearer.as_str()));
        assert_eq!(self.header("idempotency-key"), key);
        assert!(
            self.header("stripe-version").is_some(),
            "the API version is pinned"
        );
    }

    /// Asserts a form-encoded `POST` to `route`.
    pub fn assert_post(&self, route: &str) {
        assert_eq!((self.method.as_str(), self.path.as_str()), ("POST", route));
        assert_eq!(
            self.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }
}

/// Stripe's example object `name` (tests/fixtures/`name`.json).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Metadata as the port holds it.
pub fn metadata(pairs: &[(&str, &str)]) -> pc_platform::payments::Metadata {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
