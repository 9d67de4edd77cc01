//! The HTTPS client of every AWS SDK client: hyper over rustls on ring (the
//! provider reqwest uses, so a binary carries one TLS stack), HTTP/1.1,
//! trusting the Mozilla root certificates compiled into the binary
//! (`webpki-roots`, the roots reqwest trusts too).
//!
//! Why not the SDK's own client (`aws-smithy-http-client`): it trusts the
//! system's certificates and turns every one of them (about 150) into a
//! trust anchor each time an SDK client is built, and again at the first
//! request: most of a function's cold start. Here the roots are trust
//! anchors already, and the connector is built at the first request, once
//! per process and timeout setting: an SDK client costs nothing until it is
//! used, so a function pays only for the services its request calls.
//!
//! The SDK's connect and read timeouts apply, and transport errors are
//! classified as the SDK's client classifies them (I/O and timeouts are
//! retried, a request the client refused is not).

use std::borrow::Cow;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::HttpsConnectorBuilder;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

/// The client every `SdkConfig` of this crate carries.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(HttpsClient::default())
}

/// The TLS settings, built once per process: the compiled-in roots are
/// already trust anchors, so this is a copy of a static table.
fn tls_config() -> rustls::ClientConfig {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            // ring implements TLS 1.2 and 1.3, the safe defaults.
            .expect("ring supports rustls' default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth()
        })
        .clone()
}

/// The timeouts a connector is built for.
type Timeouts = (Option<Duration>, Option<Duration>);

/// Hands each SDK client the connector of its timeout settings, built at
/// its first request (not when the SDK client is built: the SDK asks for a
/// connector only to send).
#[derive(Debug, Default)]
struct HttpsClient {
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

impl HttpClient for HttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = connectors.iter().find(|(t, _)| *t == timeouts) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(HttpsConnector::new(timeouts));
        connectors.push((timeouts, connector.clone()));
        connector
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// One hyper client (its connection pool) with the SDK's timeouts.
#[derive(Debug)]
struct HttpsConnector {
    client: Client<hyper_rustls::HttpsConnector<TcpConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl HttpsConnector {
    fn new((connect_timeout, read_timeout): Timeouts) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        // Plain HTTP stays allowed for local endpoints (`AWS_ENDPOINT_URL`).
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            read_timeout,
        }
    }
}

impl HttpConnector for HttpsConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let response = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, response)
                    .await
                    .map_err(|elapsed| ConnectorError::timeout(elapsed.into()))?,
                None => response.await,
            }
            .map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// The first error of type `E` in `error`'s chain.
fn find<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// A transport error as the SDK's retry policy reads it: connecting,
/// closed connections and I/O are retried, timeouts are timeouts, a request
/// hyper refused is the caller's.
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    let io = find::<std::io::Error>(&error).is_some();
    let kind: fn(BoxError) -> ConnectorError = match find::<hyper::Error>(&error) {
        _ if error.is_connect() => ConnectorError::io,
        Some(e) if e.is_timeout() => ConnectorError::timeout,
        Some(e) if e.is_user() => ConnectorError::user,
        Some(e) if e.is_closed() || e.is_canceled() || io => ConnectorError::io,
        // S3 sometimes ends a response early.
        Some(e) if e.is_incomplete_message() => {
            |e| ConnectorError::other(e, Some(ErrorKind::TransientError))
        }
        None if io => ConnectorError::io,
        _ => |e| ConnectorError::other(e, None),
    };
    kind(error.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_is_a_retryable_io_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let connector = HttpsConnector::new((Some(Duration::from_secs(1)), None));
        let request = HttpRequest::get(format!("http://{addr}/")).unwrap();
        let error = connector.call(request).await.unwrap_err();
        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn a_server_slower_than_the_read_timeout_is_a_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and never answers.
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        let connector = HttpsConnector::new((None, Some(Duration::from_millis(100))));
        let request = HttpRequest::get(format!("http://{addr}/")).unwrap();
        let error = connector.call(request).await.unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
        server.abort();
    }

    #[tokio::test]
    async fn a_certificate_no_compiled_in_root_signed_is_refused() {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let pem = include_bytes!("../tests/fixtures/self-signed-localhost.pem");
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(pem).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            acceptor.accept(socket).await.map(|_| ())
        });
        let connector = HttpsConnector::new((Some(Duration::from_secs(2)), None));
        let request = HttpRequest::get(format!("https://127.0.0.1:{port}/")).unwrap();
        let error = connector.call(request).await.unwrap_err();
        assert!(
            format!("{error:?}").contains("InvalidCertificate"),
            "{error:?}"
        );
        // The server saw the handshake refused, not a missing client.
        assert!(server.await.unwrap().is_err());
    }
}
