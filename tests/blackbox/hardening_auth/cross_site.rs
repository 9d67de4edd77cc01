//! Cookie requests from another site are refused, whether the cookies are
//! `SameSite=Lax` or `SameSite=None`.

use pc_host::devserver::Options;
use pc_platform::config::SameSite;
use pc_tests::accounts_support::{bare_client, set_cookie};
use pc_tests::reqwest::{Method, Response, StatusCode};
use pc_tests::{Backend, TestApp, expect_json, json, scenario};

use super::fixtures::{OWNER_EMAIL, OWNER_PASSWORD, registered_partner};

const EVIL: &str = "http://evil.example";

/// `method path` with the owner's cookies and the given extra headers.
async fn with_cookies(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body("{}");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await.expect("the server answers")
}

async fn partner_status(app: &TestApp, pid: &str) -> String {
    let partner = expect_json(
        app.get(&format!("/v1/partners/{pid}")).await,
        StatusCode::OK,
    )
    .await;
    partner["status"].as_str().unwrap().to_owned()
}

/// The cross-site story; it holds whatever the cookies' SameSite says.
async fn cross_site_cookie_requests_are_refused(app: &TestApp) {
    let (_, pid) = registered_partner(app, "Target Co", "founder@target.test").await;
    let same_origin = app.server.context.config.cors_origin.clone();
    // A cross-site sign-in (login CSRF) is refused too.
    let forged_sign_in = app
        .client
        .post(app.url("/auth/sign-in"))
        .header("origin", EVIL)
        .json(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged_sign_in.status(), StatusCode::FORBIDDEN);
    app.sign_in_owner().await;

    let activate = format!("/v1/partners/{pid}/activate");
    let refused = expect_json(
        with_cookies(app, Method::POST, &activate, &[("origin", EVIL)]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(refused["error"]["code"], "cross_site_request");
    let no_origin_cross_site = with_cookies(
        app,
        Method::POST,
        &activate,
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(no_origin_cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(partner_status(app, &pid).await, "pending_approval");
    // Body-less deletes and multipart uploads are refused the same way.
    let delete = with_cookies(
        app,
        Method::DELETE,
        &format!("/v1/users/{pid}"),
        &[("origin", EVIL)],
    )
    .await;
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let form = pc_tests::reqwest::multipart::Form::new().text("partnerId", pid.clone());
    let upload = app
        .client
        .post(app.url("/v1/leads/import"))
        .header("origin", EVIL)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::FORBIDDEN);
    // Refreshing and signing out from another site are refused as well.
    for path in ["/auth/token/refresh", "/auth/sign-out"] {
        let r = with_cookies(app, Method::POST, path, &[("origin", EVIL)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    expect_json(app.get("/auth/me").await, StatusCode::OK).await;

    // From the app's own origin the same request works.
    let activated = expect_json(
        with_cookies(app, Method::POST, &activate, &[("origin", &same_origin)]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(activated["status"], "active");

    // A bearer call is not a browser's ambient credential: allowed.
    let signed_in = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    let access = set_cookie(&signed_in, "accessToken").unwrap();
    let bearer = bare_client()
        .post(app.url(&activate))
        .header("origin", EVIL)
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);

    // A JSON endpoint takes JSON only: a form-style text body is a 415.
    let text = app
        .client
        .patch(app.url(&format!("/v1/partners/{pid}")))
        .header("content-type", "text/plain")
        .body(r#"{"name": "Renamed"}"#)
        .send()
        .await
        .unwrap();
    let error = expect_json(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(error["error"]["code"], "unsupported_media_type");
    assert!(error["error"]["details"].is_array());
    let partner = expect_json(
        app.get(&format!("/v1/partners/{pid}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(partner["name"], "Target Co");
}

scenario!(
    cross_site_cookie_requests_are_refused_with_lax_cookies,
    |app| {
        cross_site_cookie_requests_are_refused(app).await;
    }
);

mod cross_site_cookie_requests_are_refused_with_same_site_none {
    use super::*;

    async fn run(backend: Backend) {
        let mut options = Options::ephemeral();
        options.config.cookie_same_site = SameSite::None;
        let app = TestApp::spawn_with(backend, options).await;
        cross_site_cookie_requests_are_refused(&app).await;
        app.server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn embedded() {
        run(Backend::Embedded).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn aws() {
        run(Backend::Aws).await;
    }
}
