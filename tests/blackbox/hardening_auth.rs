//! Black-box scenarios of the edge defences around sessions: the sign-in
//! limit that no forged `X-Forwarded-For` lifts and no burst of concurrent
//! guesses slips under, the cross-site refusal of cookie requests, what a
//! partner's status lets its users do, registration limits and expiry, and
//! the refresh window for two tabs of one browser.

use pc_app::devserver::Options;
use pc_platform::config::SameSite;
use pc_tests::accounts_support::{
    PASSWORD, bare_client, create_partner, get_with_bearer, invite_and_accept, refresh_with,
    set_cookie, status_of, token_from_mail,
};
use pc_tests::reqwest::{Client, Method, Response, StatusCode};
use pc_tests::{Backend, TestApp, browser, expect_json, json, scenario};

const OWNER_EMAIL: &str = "owner@partner-connector.local";
const OWNER_PASSWORD: &str = "Owner-Password-1";
const EVIL: &str = "http://evil.example";

/// A wrong-password sign-in for `email` claiming to come from `forwarded_for`.
async fn wrong_guess(app: &TestApp, email: &str, forwarded_for: &str) -> Response {
    bare_client()
        .post(app.url("/auth/sign-in"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "Wrong-Password-1"}))
        .send()
        .await
        .expect("the server answers")
}

/// Eight guesses from eight made-up addresses: statuses and bodies.
async fn eight_forged_guesses(app: &TestApp, email: &str) -> Vec<(u16, String)> {
    let mut answers = Vec::new();
    for i in 1..=8 {
        let response = wrong_guess(app, email, &format!("203.0.113.{i}")).await;
        let status = response.status().as_u16();
        if status == 429 {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=900).contains(&wait), "Retry-After {wait}");
        }
        answers.push((status, response.text().await.unwrap()));
    }
    answers
}

scenario!(
    forged_forwarded_for_does_not_lift_the_sign_in_limit,
    |app| {
        let known = eight_forged_guesses(app, OWNER_EMAIL).await;
        let statuses: Vec<u16> = known.iter().map(|(s, _)| *s).collect();
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
        // An email nobody has answers exactly the same, body for body.
        let unknown = eight_forged_guesses(app, "nobody@nowhere.test").await;
        assert_eq!(known, unknown);
        // The right password waits too.
        let right = app
            .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
            .await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    }
);

/// Twenty wrong guesses at once for `email`: (401s, 429s).
async fn twenty_concurrent_guesses(app: &TestApp, email: &str) -> (usize, usize) {
    let guesses = (0..20).map(|i| async move {
        wrong_guess(app, email, &format!("198.51.100.{i}"))
            .await
            .status()
            .as_u16()
    });
    let statuses = futures::future::join_all(guesses).await;
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused + limited, 20, "{statuses:?}");
    (refused, limited)
}

scenario!(concurrent_guesses_cannot_all_pass_the_limit, |app| {
    let (refused, limited) = twenty_concurrent_guesses(app, OWNER_EMAIL).await;
    assert!((1..=5).contains(&refused), "{refused} got a password check");
    assert!(limited >= 15);
    let (refused, _) = twenty_concurrent_guesses(app, "ghost@nowhere.test").await;
    assert!((1..=5).contains(&refused), "{refused} for an unknown email");
});

/// A partner registered and verified through the public endpoints (status
/// `pending_approval`): its admin's signed-in browser and the partner id.
async fn registered_partner(app: &TestApp, company: &str, email: &str) -> (Client, String) {
    let body = json!({"companyName": company, "name": "Founder", "email": email});
    expect_json(
        app.post("/v1/auth/register-partner", &body).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let mail = app.wait_for_mail(email, "Verify").await;
    let admin = browser();
    let verified = app
        .send(
            &admin,
            Method::POST,
            "/v1/auth/verify-registration",
            Some(&json!({"token": token_from_mail(&mail), "password": PASSWORD})),
        )
        .await;
    let me = expect_json(verified, StatusCode::OK).await;
    (admin, me["partnerId"].as_str().unwrap().to_owned())
}

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

scenario!(a_partner_awaiting_approval_reaches_only_its_setup, |app| {
    let (founder, pid) = registered_partner(app, "Eager Co", "founder@eager.test").await;
    let invite = json!({"email": "victim@elsewhere.test", "name": "Click Here To Claim",
        "role": "user"});
    let refused = expect_json(
        app.send(&founder, Method::POST, "/v1/users", Some(&invite))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(refused["error"]["code"], "partner_not_active");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("awaits approval")
    );
    let form = pc_tests::reqwest::multipart::Form::new().part(
        "file",
        pc_tests::reqwest::multipart::Part::bytes(b"email\na@b.test\n".to_vec())
            .file_name("leads.csv"),
    );
    let import = founder
        .post(app.url("/v1/leads/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), StatusCode::FORBIDDEN);
    for path in ["/v1/leads", "/v1/meetings", "/v1/users"] {
        assert_eq!(
            status_of(app, &founder, Method::GET, path, None).await,
            403,
            "{path}"
        );
    }
    // Themselves, the partner, onboarding and settings stay open.
    let me = expect_json(
        app.send(&founder, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;
    let own = format!("/v1/users/{}", me["id"].as_str().unwrap());
    for path in [
        "/auth/me".to_owned(),
        own.clone(),
        format!("/v1/partners/{pid}"),
        format!("/v1/partners/{pid}/onboarding"),
    ] {
        assert_eq!(
            status_of(app, &founder, Method::GET, &path, None).await,
            200,
            "{path}"
        );
    }
    let icp = json!({"icp": {"industry": "SaaS"}});
    let patched = app
        .send(
            &founder,
            Method::PATCH,
            &format!("/v1/partners/{pid}"),
            Some(&icp),
        )
        .await;
    assert_eq!(
        expect_json(patched, StatusCode::OK).await["icp"]["industry"],
        "SaaS"
    );
    let prefs = json!({"email": {"marketplace": false}});
    let path = format!("/v1/partners/{pid}/notification-preferences");
    assert_eq!(
        status_of(app, &founder, Method::PATCH, &path, Some(&prefs)).await,
        200
    );
    let renamed = json!({"name": "Founder Two"});
    assert_eq!(
        status_of(app, &founder, Method::PATCH, &own, Some(&renamed)).await,
        200
    );

    // After the owner activates the partner, everything its role allows.
    app.sign_in_owner().await;
    expect_json(
        app.post(&format!("/v1/partners/{pid}/activate"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        status_of(app, &founder, Method::GET, "/v1/leads", None).await,
        200
    );
    assert_eq!(
        status_of(app, &founder, Method::POST, "/v1/users", Some(&invite)).await,
        201
    );
    // The accepted invitation sent one email; the refused one none.
    app.wait_for_mail("victim@elsewhere.test", "invitation")
        .await;
    let to_victim = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["to"] == "victim@elsewhere.test")
        .count();
    assert_eq!(to_victim, 1);
});

scenario!(an_inactive_partners_users_are_signed_out, |app| {
    app.sign_in_owner().await;
    let pid = create_partner(app, &app.client, "Fading Co").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (member, _) =
        invite_and_accept(app, &app.client, "admin@fading.test", "admin", Some(&pid)).await;
    assert_eq!(
        status_of(app, &member, Method::GET, "/v1/leads", None).await,
        200
    );

    // Only an owner changes the status, and only to inactive by PATCH.
    let path = format!("/v1/partners/{pid}");
    assert_eq!(
        status_of(
            app,
            &member,
            Method::PATCH,
            &path,
            Some(&json!({"status": "inactive"}))
        )
        .await,
        403
    );
    let bad = expect_json(
        app.patch(&path, &json!({"status": "active"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "status");
    let inactive = expect_json(
        app.patch(&path, &json!({"status": "inactive"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(inactive["status"], "inactive");

    // The very next request of its users is refused, as is signing in again.
    assert_eq!(
        status_of(app, &member, Method::GET, "/auth/me", None).await,
        401
    );
    assert_eq!(
        status_of(
            app,
            &member,
            Method::POST,
            "/auth/token/refresh",
            Some(&json!({}))
        )
        .await,
        401
    );
    let again = app
        .sign_in_as(&browser(), "admin@fading.test", PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // Reactivated, they sign in again.
    expect_json(
        app.post(&format!("/v1/partners/{pid}/activate"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let back = app
        .sign_in_as(&browser(), "admin@fading.test", PASSWORD)
        .await;
    assert_eq!(back.status(), StatusCode::OK);
});

scenario!(registration_is_rate_limited_by_source_ip, |app| {
    for i in 0..10 {
        let r = bare_client()
            .post(app.url("/v1/auth/register-partner"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({"companyName": format!("Flood {i}"), "name": "Bot",
                "email": format!("bot{i}@flood.test")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED, "registration {i}");
    }
    let limited = bare_client()
        .post(app.url("/v1/auth/register-partner"))
        .header("x-forwarded-for", "192.0.2.99")
        .json(&json!({"companyName": "Flood X", "name": "Bot", "email": "botx@flood.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
});

scenario!(two_tabs_refreshing_at_once_stay_signed_in, |app| {
    let signed_in = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    let refresh = set_cookie(&signed_in, "refreshToken").unwrap();
    let (a, b) = tokio::join!(refresh_with(app, &refresh), refresh_with(app, &refresh));
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let tabs = [&a, &b].map(|r| {
        (
            set_cookie(r, "accessToken").unwrap(),
            set_cookie(r, "refreshToken").unwrap(),
        )
    });
    for (access, _) in &tabs {
        expect_json(
            get_with_bearer(app, "/auth/me", access).await,
            StatusCode::OK,
        )
        .await;
    }
    // Either tab's new refresh token carries on the family.
    let next = refresh_with(app, &tabs[1].1).await;
    assert_eq!(next.status(), StatusCode::OK);
    let latest = set_cookie(&next, "accessToken").unwrap();
    expect_json(
        get_with_bearer(app, "/auth/me", &latest).await,
        StatusCode::OK,
    )
    .await;

    // The first token again, 31 seconds later: theft, the family is revoked.
    let later = app.server.context.clock.now() + chrono::Duration::seconds(31);
    app.set_clock(&later.to_rfc3339()).await;
    let stolen = refresh_with(app, &refresh).await;
    assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
    expect_json(
        get_with_bearer(app, "/auth/me", &latest).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        refresh_with(app, &set_cookie(&next, "refreshToken").unwrap())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
});

scenario!(
    an_unverified_registration_expires_and_frees_its_email_and_slug,
    |app| {
        let body = json!({"companyName": "Lapse Co", "name": "First", "email": "lapse@lapse.test"});
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;
        app.wait_for_mail("lapse@lapse.test", "Verify").await;

        // Six days on, the email is still held: the same answer, nothing sent.
        let start = app.server.context.clock.now();
        app.set_clock(&(start + chrono::Duration::days(6)).to_rfc3339())
            .await;
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;

        // Past seven days the same email and company register afresh.
        app.set_clock(&(start + chrono::Duration::days(8)).to_rfc3339())
            .await;
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;
        let fresh = pc_tests::wait_until(|| async {
            let mails: Vec<_> = app
                .mailbox()
                .await
                .into_iter()
                .filter(|m| m["to"] == "lapse@lapse.test")
                .collect();
            (mails.len() >= 2).then_some(mails)
        })
        .await
        .expect("a second verification email");
        assert_eq!(fresh.len(), 2, "the held email sent nothing at six days");
        let founder = browser();
        let verified = app
            .send(
                &founder,
                Method::POST,
                "/v1/auth/verify-registration",
                Some(&json!({"token": token_from_mail(&fresh[0]), "password": PASSWORD})),
            )
            .await;
        let me = expect_json(verified, StatusCode::OK).await;
        let pid = me["partnerId"].as_str().unwrap().to_owned();
        let partner = expect_json(
            app.send(&founder, Method::GET, &format!("/v1/partners/{pid}"), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            partner["slug"], "lapse-co",
            "the expired slug is free again"
        );

        // The expired registration left nothing behind.
        app.sign_in_owner().await;
        let partners =
            expect_json(app.get("/v1/partners?search=lapse").await, StatusCode::OK).await;
        assert_eq!(partners["meta"]["total"], 1);
        let users = expect_json(
            app.get("/v1/users?search=lapse@lapse.test").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(users["meta"]["total"], 1);

        // Once verified, the registration no longer expires.
        app.set_clock(&(start + chrono::Duration::days(30)).to_rfc3339())
            .await;
        let other = json!({"companyName": "Lapse Co", "name": "Late", "email": "lapse@lapse.test"});
        expect_json(
            app.post("/v1/auth/register-partner", &other).await,
            StatusCode::ACCEPTED,
        )
        .await;
        app.sign_in_owner().await;
        let users = expect_json(
            app.get("/v1/users?search=lapse@lapse.test").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(users["meta"]["total"], 1);
    }
);
