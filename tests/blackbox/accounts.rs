//! Black-box scenarios of the accounts capability: the session
//! life cycle, refresh-token rotation and reuse, password reset,
//! deactivation, invitations, self-registration, rate limits, the tenancy
//! matrix, forged tokens, concurrent sign-ups and input validation.

use pc_api::tokens::{self, AccessClaims};
use pc_tests::accounts_support::{
    PASSWORD, bare_client, create_partner, get_with_bearer, invite_and_accept, refresh_with,
    set_cookie, status_of, token_from_mail,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, browser, expect_json, json, scenario, wait_until};

const OWNER_EMAIL: &str = "owner@partner-connector.local";
const OWNER_PASSWORD: &str = "Owner-Password-1";

/// Signs a bare client in as the owner; answers (access, refresh) tokens.
async fn owner_tokens(app: &TestApp) -> (String, String) {
    let response = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let access = set_cookie(&response, "accessToken").expect("access cookie");
    let refresh = set_cookie(&response, "refreshToken").expect("refresh cookie");
    (access, refresh)
}

scenario!(sign_in_refresh_sign_out_life_cycle, |app| {
    let response = app
        .sign_in_as(&app.client, OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        cookies.len(),
        2,
        "two separate Set-Cookie headers: {cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("Path=/"))
    );
    let profile = expect_json(response, StatusCode::OK).await;
    assert_eq!(profile["email"], OWNER_EMAIL);
    assert_eq!(profile["role"], "owner");
    assert_eq!(profile["isActive"], true);
    assert!(profile["partnerId"].is_null());
    let text = profile.to_string();
    assert!(
        !text.contains("password") && !text.contains("Token"),
        "{text}"
    );

    let me = expect_json(app.get("/auth/me").await, StatusCode::OK).await;
    assert_eq!(me["id"], profile["id"]);

    let refreshed = app.post("/auth/token/refresh", &json!({})).await;
    assert_eq!(refreshed.headers().get_all("set-cookie").iter().count(), 2);
    expect_json(refreshed, StatusCode::OK).await;
    expect_json(app.get("/auth/me").await, StatusCode::OK).await;

    expect_json(app.post("/auth/sign-out", &json!({})).await, StatusCode::OK).await;
    expect_json(app.get("/auth/me").await, StatusCode::UNAUTHORIZED).await;
    expect_json(
        app.post("/auth/token/refresh", &json!({})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Wrong password and unknown email look the same.
    let wrong = expect_json(
        app.sign_in_as(&browser(), OWNER_EMAIL, "Wrong-Password-1")
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown = expect_json(
        app.sign_in_as(&browser(), "nobody@nowhere.test", "Wrong-Password-1")
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(wrong, unknown);
});

scenario!(bearer_tokens_and_sign_out_revoke_the_session, |app| {
    let (access, _) = owner_tokens(app).await;
    expect_json(
        get_with_bearer(app, "/auth/me", &access).await,
        StatusCode::OK,
    )
    .await;
    let out = bare_client()
        .post(app.url("/auth/sign-out"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    expect_json(
        get_with_bearer(app, "/auth/me", &access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
});

scenario!(refresh_token_reuse_revokes_the_family, |app| {
    let (access1, refresh1) = owner_tokens(app).await;
    let rotated = refresh_with(app, &refresh1).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let access2 = set_cookie(&rotated, "accessToken").unwrap();
    let refresh2 = set_cookie(&rotated, "refreshToken").unwrap();
    assert_ne!(refresh1, refresh2);
    expect_json(
        get_with_bearer(app, "/auth/me", &access2).await,
        StatusCode::OK,
    )
    .await;

    // The spent token again, past the two-tabs window: theft. The whole
    // family dies.
    let later = app.server.context.clock.now() + chrono::Duration::seconds(31);
    app.set_clock(&later.to_rfc3339()).await;
    expect_json(refresh_with(app, &refresh1).await, StatusCode::UNAUTHORIZED).await;
    expect_json(refresh_with(app, &refresh2).await, StatusCode::UNAUTHORIZED).await;
    expect_json(
        get_with_bearer(app, "/auth/me", &access2).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_json(
        get_with_bearer(app, "/auth/me", &access1).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Another sign-in is another family, untouched.
    let (other, _) = owner_tokens(app).await;
    expect_json(
        get_with_bearer(app, "/auth/me", &other).await,
        StatusCode::OK,
    )
    .await;
});

scenario!(
    tampered_expired_unsigned_and_foreign_tokens_are_refused,
    |app| {
        let (access, refresh) = owner_tokens(app).await;
        let secret = app
            .server
            .context
            .config
            .jwt_secret
            .expose()
            .unwrap()
            .to_owned();
        let now = app.server.context.clock.now();
        let claims = tokens::verify::<AccessClaims>(&secret, "access", &access, now)
            .unwrap()
            .claims;

        let parts: Vec<&str> = access.split('.').collect();
        let mut signature = parts[2].to_owned();
        let last = signature.pop().unwrap();
        signature.push(if last == 'A' { 'B' } else { 'A' });
        let tampered = format!("{}.{}.{signature}", parts[0], parts[1]);
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        let wrong_key = tokens::sign(
            "another-secret-another-secret-another",
            "access",
            claims.clone(),
            now,
            chrono::Duration::minutes(30),
        );
        let expired = tokens::sign(
            &secret,
            "access",
            claims.clone(),
            now - chrono::Duration::hours(2),
            chrono::Duration::minutes(30),
        );
        for (what, token) in [
            ("tampered", tampered),
            ("alg none", unsigned),
            ("wrong key", wrong_key),
            ("expired", expired),
            ("refresh token as access", refresh),
            ("garbage", "not-a-jwt".to_owned()),
        ] {
            let response = get_with_bearer(app, "/auth/me", &token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        }
        expect_json(
            get_with_bearer(app, "/auth/me", &access).await,
            StatusCode::OK,
        )
        .await;
    }
);

scenario!(password_reset_revokes_old_sessions, |app| {
    app.sign_in_owner().await;
    let (user, _) = invite_and_accept(app, &app.client, "reset.me@acme.test", "admin", None).await;
    expect_json(
        app.send(&user, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;

    let known = expect_json(
        app.post(
            "/auth/forgot-password",
            &json!({"email": "Reset.Me@acme.test"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let unknown = expect_json(
        app.post(
            "/auth/forgot-password",
            &json!({"email": "ghost@acme.test"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(known, unknown, "no enumeration");
    let mail = app.wait_for_mail("reset.me@acme.test", "Reset").await;
    let token = token_from_mail(&mail);

    let weak = app
        .post(
            "/auth/reset-password",
            &json!({"token": token, "newPassword": "short"}),
        )
        .await;
    let weak = expect_json(weak, StatusCode::BAD_REQUEST).await;
    assert_eq!(weak["error"]["details"][0]["field"], "newPassword");

    let new_password = "Brand-New-Password-7";
    let body = json!({"token": token, "newPassword": new_password});
    expect_json(
        app.post("/auth/reset-password", &body).await,
        StatusCode::OK,
    )
    .await;
    // Single use.
    expect_json(
        app.post("/auth/reset-password", &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    expect_json(
        app.send(&user, Method::GET, "/auth/me", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_json(
        app.sign_in_as(&browser(), "reset.me@acme.test", PASSWORD)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let fresh = browser();
    expect_json(
        app.sign_in_as(&fresh, "reset.me@acme.test", new_password)
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.send(&fresh, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;
});

scenario!(
    invitation_acceptance_and_deactivation_on_the_next_request,
    |app| {
        app.sign_in_owner().await;
        let partner = create_partner(app, &app.client, "Acme").await;
        let pid = partner["id"].as_str().unwrap();
        let (user, user_id) =
            invite_and_accept(app, &app.client, "ann@acme.test", "user", Some(pid)).await;
        let me = expect_json(
            app.send(&user, Method::GET, "/auth/me", None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["partnerId"], pid);
        assert_eq!(me["role"], "user");
        assert_eq!(me["name"], format!("user ann@acme.test"));

        // The invitation link works once.
        let mail = app.wait_for_mail("ann@acme.test", "invitation").await;
        assert!(mail["text"].as_str().unwrap().contains("Acme"));
        let again = app
            .post(
                "/auth/complete-registration",
                &json!({"token": token_from_mail(&mail), "name": "X", "password": PASSWORD}),
            )
            .await;
        expect_json(again, StatusCode::BAD_REQUEST).await;

        // Duplicate email, any case: 409.
        let dup = app
            .post(
                "/v1/users",
                &json!({"email": "ANN@acme.test", "name": "A", "role": "user", "partnerId": pid}),
            )
            .await;
        expect_json(dup, StatusCode::CONFLICT).await;

        let off = app
            .patch(
                &format!("/v1/users/{user_id}/status"),
                &json!({"isActive": false}),
            )
            .await;
        let off = expect_json(off, StatusCode::OK).await;
        assert_eq!(off["isActive"], false);
        expect_json(
            app.send(&user, Method::GET, "/auth/me", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        expect_json(
            app.sign_in_as(&browser(), "ann@acme.test", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;

        let on = app
            .patch(
                &format!("/v1/users/{user_id}/status"),
                &json!({"isActive": true}),
            )
            .await;
        expect_json(on, StatusCode::OK).await;
        expect_json(
            app.sign_in_as(&browser(), "ann@acme.test", PASSWORD).await,
            StatusCode::OK,
        )
        .await;

        // Soft delete: gone from reads and lists, cannot sign in, email stays taken.
        expect_json(
            app.delete(&format!("/v1/users/{user_id}")).await,
            StatusCode::NO_CONTENT,
        )
        .await;
        expect_json(
            app.get(&format!("/v1/users/{user_id}")).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let list = expect_json(app.get("/v1/users?search=ann").await, StatusCode::OK).await;
        assert_eq!(list["meta"]["total"], 0);
        expect_json(
            app.sign_in_as(&browser(), "ann@acme.test", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
);

scenario!(self_registration_through_activation, |app| {
    let register = json!({"companyName": "Rocket Sales Ltd.", "website": "rocket.test",
        "name": "Rita", "email": "rita@rocket.test"});
    let first = expect_json(
        app.post("/v1/auth/register-partner", &register).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let mail = app.wait_for_mail("rita@rocket.test", "Verify").await;
    // The same answer for an email that exists.
    let second = expect_json(
        app.post("/v1/auth/register-partner", &register).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(first, second);

    let rita = browser();
    let verify = app
        .send(
            &rita,
            Method::POST,
            "/v1/auth/verify-registration",
            Some(&json!({"token": token_from_mail(&mail), "password": PASSWORD})),
        )
        .await;
    let me = expect_json(verify, StatusCode::OK).await;
    assert_eq!(me["role"], "admin");
    let pid = me["partnerId"].as_str().unwrap().to_owned();

    let partner = expect_json(
        app.send(&rita, Method::GET, &format!("/v1/partners/{pid}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(partner["status"], "pending_approval");
    assert_eq!(partner["slug"], "rocket-sales-ltd");
    assert_eq!(partner["website"], "https://rocket.test");
    let onboarding = expect_json(
        app.send(
            &rita,
            Method::GET,
            &format!("/v1/partners/{pid}/onboarding"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(onboarding["steps"]["emailVerified"], true);
    assert_eq!(onboarding["steps"]["hubspotConnected"], false);
    assert_eq!(onboarding["percent"], 25);

    // Only the owner activates.
    let path = format!("/v1/partners/{pid}/activate");
    assert_eq!(
        status_of(app, &rita, Method::POST, &path, Some(&json!({}))).await,
        403
    );
    app.sign_in_owner().await;
    let active = expect_json(app.post(&path, &json!({})).await, StatusCode::OK).await;
    assert_eq!(active["status"], "active");

    // Another company with the same name gets the next slug.
    let other =
        json!({"companyName": "Rocket Sales Ltd", "name": "Ron", "email": "ron@rocket2.test"});
    expect_json(
        app.post("/v1/auth/register-partner", &other).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let partners = expect_json(app.get("/v1/partners?search=rocket").await, StatusCode::OK).await;
    let slugs: Vec<&str> = partners["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 2);
    assert!(
        slugs.contains(&"rocket-sales-ltd") && slugs.contains(&"rocket-sales-ltd-2"),
        "{slugs:?}"
    );
});

scenario!(concurrent_sign_ups_make_one_account, |app| {
    let body = json!({"companyName": "Race Co", "name": "Racer", "email": "race@race.test"});
    // Ten: as many as one address may register in an hour.
    let attempts = (0..10).map(|_| app.post("/v1/auth/register-partner", &body));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    app.wait_for_mail("race@race.test", "Verify").await;
    app.sign_in_owner().await;
    let users = expect_json(
        app.get("/v1/users?search=race@race.test").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(users["meta"]["total"], 1);
    let partners = expect_json(app.get("/v1/partners?search=race").await, StatusCode::OK).await;
    assert_eq!(
        partners["meta"]["total"], 1,
        "losers leave no partner behind"
    );
    app.drain().await;
    let mails = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["to"] == "race@race.test")
        .count();
    assert_eq!(mails, 1);
});

scenario!(sign_in_and_refresh_are_rate_limited, |app| {
    let client = bare_client();
    let attempt = |email: &'static str, password: &'static str| {
        client
            .post(app.url("/auth/sign-in"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt(OWNER_EMAIL, "Wrong-Password-1")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    let limited = attempt(OWNER_EMAIL, "Wrong-Password-1").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait));
    // Even the right password waits; another email does not.
    assert_eq!(
        attempt(OWNER_EMAIL, OWNER_PASSWORD).await.unwrap().status(),
        429
    );
    assert_eq!(
        attempt("someone@else.test", "Wrong-Password-1")
            .await
            .unwrap()
            .status(),
        401
    );

    let mut refresh_statuses = Vec::new();
    for _ in 0..35 {
        let r = client
            .post(app.url("/auth/token/refresh"))
            .send()
            .await
            .unwrap();
        refresh_statuses.push(r.status().as_u16());
    }
    assert_eq!(refresh_statuses[0], 401);
    assert_eq!(refresh_statuses[34], 429, "{refresh_statuses:?}");

    // Reset emails are capped per address; the answer never changes.
    for _ in 0..7 {
        let r = app
            .post("/auth/forgot-password", &json!({"email": OWNER_EMAIL}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let resets = || async {
        app.mailbox()
            .await
            .into_iter()
            .filter(|m| {
                m["to"] == OWNER_EMAIL && m["subject"].as_str().unwrap_or("").contains("Reset")
            })
            .count()
    };
    let five = wait_until(|| async { (resets().await == 5).then_some(()) }).await;
    assert!(five.is_some(), "five reset emails");
    app.drain().await;
    assert_eq!(resets().await, 5);
});

scenario!(tenancy_matrix, |app| {
    app.sign_in_owner().await;
    let owner = &app.client;
    let p1 = create_partner(app, owner, "Partner One").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p2 = create_partner(app, owner, "Partner Two").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (staff, _) = invite_and_accept(app, owner, "staff@pc.test", "admin", None).await;
    let (p1_admin, _) = invite_and_accept(app, owner, "admin@p1.test", "admin", Some(&p1)).await;
    let (p1_user, p1_user_id) =
        invite_and_accept(app, &p1_admin, "user@p1.test", "user", None).await;
    let (_, p2_user_id) = invite_and_accept(app, &staff, "user@p2.test", "user", Some(&p2)).await;

    let me = expect_json(
        app.send(&p1_user, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        me["partnerId"],
        p1.as_str(),
        "partner admins invite into their partner"
    );

    let roles = [
        ("owner", owner),
        ("staff", &staff),
        ("p1 admin", &p1_admin),
        ("p1 user", &p1_user),
    ];
    let no_body = None;
    let rename = json!({"name": "Renamed"});
    let cases: Vec<(Method, String, Option<&serde_json::Value>, [u16; 4])> = vec![
        (
            Method::GET,
            "/v1/users".into(),
            no_body,
            [200, 200, 200, 403],
        ),
        (
            Method::GET,
            format!("/v1/users/{p1_user_id}"),
            no_body,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/v1/users/{p2_user_id}"),
            no_body,
            [200, 200, 404, 404],
        ),
        (
            Method::PATCH,
            format!("/v1/users/{p2_user_id}"),
            Some(&rename),
            [200, 200, 404, 404],
        ),
        (
            Method::GET,
            "/v1/partners".into(),
            no_body,
            [200, 200, 200, 403],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p1}"),
            no_body,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p2}"),
            no_body,
            [200, 200, 404, 404],
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{p1}"),
            Some(&rename),
            [200, 200, 200, 403],
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{p2}"),
            Some(&rename),
            [200, 200, 404, 403],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p1}/stats"),
            no_body,
            [200, 200, 200, 403],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p2}/stats"),
            no_body,
            [200, 200, 404, 403],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p2}/onboarding"),
            no_body,
            [200, 200, 404, 403],
        ),
        (
            Method::GET,
            format!("/v1/partners/{p1}/billing"),
            no_body,
            [200, 200, 403, 403],
        ),
        (
            Method::POST,
            format!("/v1/partners/{p1}/activate"),
            Some(&rename),
            [200, 403, 403, 403],
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            Some(&rename),
            [201, 403, 403, 403],
        ),
    ];
    for (method, path, body, expected) in &cases {
        for ((who, client), want) in roles.iter().zip(expected) {
            let got = status_of(app, client, method.clone(), path, *body).await;
            assert_eq!(got, *want, "{who} {method} {path}");
        }
    }

    // Partner admins list only their partner's users and partner.
    let users = expect_json(
        app.send(&p1_admin, Method::GET, "/v1/users", None).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        users["list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["partnerId"] == p1.as_str())
    );
    let partners = expect_json(
        app.send(&p1_admin, Method::GET, "/v1/partners", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(partners["meta"]["total"], 1);

    // Nobody raises anyone above their own role.
    let invite = |email: &str, role: &str, partner: Option<&str>| json!({"email": email, "name": "N", "role": role, "partnerId": partner});
    for (who, client, body, want) in [
        (
            "p1 admin",
            &p1_admin,
            invite("x1@p1.test", "owner", Some(&p1)),
            403,
        ),
        (
            "p1 admin",
            &p1_admin,
            invite("x2@p2.test", "user", Some(&p2)),
            404,
        ),
        ("staff", &staff, invite("x3@pc.test", "admin", None), 403),
        ("staff", &staff, invite("x4@pc.test", "owner", None), 403),
        (
            "p1 user",
            &p1_user,
            invite("x5@p1.test", "user", Some(&p1)),
            403,
        ),
    ] {
        let got = status_of(app, client, Method::POST, "/v1/users", Some(&body)).await;
        assert_eq!(got, want, "{who} invites {body}");
    }
    let promote = json!({"role": "admin"});
    let path = format!("/v1/users/{p1_user_id}");
    assert_eq!(
        status_of(app, &p1_user, Method::PATCH, &path, Some(&promote)).await,
        403
    );
    assert_eq!(
        status_of(
            app,
            &p1_user,
            Method::PATCH,
            &path,
            Some(&json!({"name": "Me"}))
        )
        .await,
        200
    );
    assert_eq!(
        status_of(
            app,
            &p1_admin,
            Method::PATCH,
            &path,
            Some(&json!({"role": "owner"}))
        )
        .await,
        403
    );
    assert_eq!(
        status_of(app, &p1_admin, Method::PATCH, &path, Some(&promote)).await,
        200
    );
    assert_eq!(
        status_of(
            app,
            &p1_admin,
            Method::PATCH,
            &format!("/v1/partners/{p1}"),
            Some(&json!({"slug": "mine"}))
        )
        .await,
        403
    );

    // The last owner stays an owner.
    let owner_id = expect_json(app.get("/auth/me").await, StatusCode::OK).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let demote = app
        .patch(&format!("/v1/users/{owner_id}"), &json!({"role": "admin"}))
        .await;
    let demote = expect_json(demote, StatusCode::CONFLICT).await;
    assert_eq!(demote["error"]["code"], "last_owner");
});

scenario!(
    partners_slugs_meeting_types_billing_and_preferences,
    |app| {
        app.sign_in_owner().await;
        let a = create_partner(app, &app.client, "Acme Corp").await;
        let b = create_partner(app, &app.client, "ACME corp!").await;
        assert_eq!(a["slug"], "acme-corp");
        assert_eq!(b["slug"], "acme-corp-2");
        assert_eq!(a["totalLeads"], 0);
        let by_slug = expect_json(app.get("/v1/partners/acme-corp-2").await, StatusCode::OK).await;
        assert_eq!(by_slug["id"], b["id"]);
        let taken = app
            .post("/v1/partners", &json!({"name": "X", "slug": "acme-corp"}))
            .await;
        expect_json(taken, StatusCode::CONFLICT).await;

        let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        let types = json!({"chiliMeetingTypes": ["Demo Call", "Intro"]});
        expect_json(
            app.patch(&format!("/v1/partners/{a_id}"), &types).await,
            StatusCode::OK,
        )
        .await;
        let clash = json!({"chiliMeetingTypes": ["demo call"]});
        let clash = expect_json(
            app.patch(&format!("/v1/partners/{b_id}"), &clash).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(clash["error"]["code"], "meeting_type_taken");
        // Freed types can be taken by another partner.
        expect_json(
            app.patch(
                &format!("/v1/partners/{a_id}"),
                &json!({"chiliMeetingTypes": ["Intro"]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let moved = expect_json(
            app.patch(
                &format!("/v1/partners/{b_id}"),
                &json!({"chiliMeetingTypes": ["Demo Call"]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(moved["chiliMeetingTypes"], json!(["Demo Call"]));
        // Slug moves free the old one.
        expect_json(
            app.patch(&format!("/v1/partners/{a_id}"), &json!({"slug": "acme"}))
                .await,
            StatusCode::OK,
        )
        .await;
        expect_json(
            app.get("/v1/partners/acme-corp").await,
            StatusCode::NOT_FOUND,
        )
        .await;
        expect_json(app.get("/v1/partners/acme").await, StatusCode::OK).await;

        let billing_path = format!("/v1/partners/{a_id}/billing");
        let unset = expect_json(app.get(&billing_path).await, StatusCode::OK).await;
        assert!(unset["billingType"].is_null());
        let overlapping = json!({"billingType": "qualified_lead", "billingTerms": [
        {"startMonth": "2024-01", "endMonth": "2024-06", "value": 50},
        {"startMonth": "2024-06", "endMonth": null, "value": 60}]});
        let bad = expect_json(
            app.put(&billing_path, &overlapping).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "billingTerms");
        let bad_type = json!({"billingType": "monthly", "billingTerms": []});
        let bad = expect_json(
            app.put(&billing_path, &bad_type).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "billingType");
        let good = json!({"billingType": "percentage_of_deal", "billingTerms": [
        {"startMonth": "2024-01", "endMonth": "2024-06", "value": 12.5},
        {"startMonth": "2024-07", "endMonth": null, "value": 10}], "billingEmail": "ap@acme.test"});
        let saved = expect_json(app.put(&billing_path, &good).await, StatusCode::OK).await;
        assert_eq!(saved["billingTerms"][0]["value"], 12.5);
        let read = expect_json(app.get(&billing_path).await, StatusCode::OK).await;
        assert_eq!(read["billingType"], "percentage_of_deal");
        let onboarding = expect_json(
            app.get(&format!("/v1/partners/{a_id}/onboarding")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(onboarding["steps"]["billingConfigured"], true);
        expect_json(
            app.put("/v1/partners/NOPE/billing", &good).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let prefs_path = format!("/v1/partners/{a_id}/notification-preferences");
        // The server makes the webhook's secret: one sent by the client is refused.
        let own_secret = json!({"webhook": {"url": "https://hooks.acme.test/pc",
            "secret": "a-very-secret-value", "events": ["marketplace.lead_sold"]}});
        let bad = expect_json(
            app.patch(&prefs_path, &own_secret).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "webhook.secret");
        let prefs = json!({"email": {"leadReminder": false},
        "webhook": {"url": "https://hooks.acme.test/pc", "events": ["marketplace.lead_sold"]}});
        let saved = expect_json(app.patch(&prefs_path, &prefs).await, StatusCode::OK).await;
        assert_eq!(saved["email"]["leadReminder"], false);
        assert_eq!(saved["email"]["newLead"], true);
        assert_eq!(saved["webhook"]["hasSecret"], true);
        let shown = saved["webhook"]["secret"].as_str().unwrap().to_owned();
        assert!(shown.starts_with("whsec_"), "{shown}");
        let partner = expect_json(
            app.get(&format!("/v1/partners/{a_id}")).await,
            StatusCode::OK,
        )
        .await;
        assert!(!partner.to_string().contains(&shown));

        let list = expect_json(app.get("/v1/partners?sort=name:desc").await, StatusCode::OK).await;
        for row in list["list"].as_array().unwrap() {
            for field in ["totalLeads", "totalAppointments", "lastAppointmentDate"] {
                assert!(row.get(field).is_some(), "{field} on every row");
            }
        }
        expect_json(
            app.get("/v1/partners?sort=secret:asc").await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);

scenario!(bad_input_is_a_400_naming_the_field, |app| {
    app.sign_in_owner().await;
    let pid = create_partner(app, &app.client, "Inputs").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(Method, String, serde_json::Value, &str)> = vec![
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"email": 5, "password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"email": "not-an-email", "password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/forgot-password".into(),
            json!({}),
            "email",
        ),
        (
            Method::POST,
            "/auth/reset-password".into(),
            json!({"token": "t"}),
            "newPassword",
        ),
        (
            Method::POST,
            "/auth/complete-registration".into(),
            json!({"token": "t", "name": true, "password": "x"}),
            "name",
        ),
        (
            Method::POST,
            "/v1/auth/register-partner".into(),
            json!({"name": "n", "email": "a@b.test"}),
            "companyName",
        ),
        (
            Method::POST,
            "/v1/auth/register-partner".into(),
            json!({"companyName": "C", "name": "n", "email": "nope"}),
            "email",
        ),
        (
            Method::POST,
            "/v1/auth/verify-registration".into(),
            json!({"token": "t", "password": 12}),
            "password",
        ),
        (
            Method::POST,
            "/v1/users".into(),
            json!({"email": "a@b.test", "name": "n"}),
            "role",
        ),
        (
            Method::POST,
            "/v1/users".into(),
            json!({"email": "a@b.test", "name": "n", "role": "king"}),
            "role",
        ),
        (
            Method::PATCH,
            format!("/v1/users/{}", "x"),
            json!({"name": ["a"]}),
            "name",
        ),
        (
            Method::PATCH,
            "/v1/users/x/status".into(),
            json!({"isActive": "yes"}),
            "isActive",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"slug": "x"}),
            "name",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"name": "N", "slug": "Not A Slug"}),
            "slug",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"name": "N", "icp": {"a": 1}}),
            "icp.a",
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{pid}"),
            json!({"website": "not a url"}),
            "website",
        ),
        (
            Method::PUT,
            format!("/v1/partners/{pid}/billing"),
            json!({"billingTerms": "x"}),
            "billingTerms",
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{pid}/notification-preferences"),
            json!({"email": {"newLead": "no"}}),
            "email.newLead",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .send(&app.client, method.clone(), &path, Some(&body))
            .await;
        let error = expect_json(response, StatusCode::BAD_REQUEST).await;
        let fields: Vec<&str> = error["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{method} {path}: {error}");
    }
    for path in [
        "/auth/sign-in",
        "/v1/users",
        "/v1/partners",
        "/v1/auth/register-partner",
    ] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
});
