//! Session scenarios: the sign-in, refresh and sign-out life cycle,
//! bearer tokens, refresh-token rotation and reuse, and forged tokens.

use pc_http::tokens::{self, AccessClaims};
use pc_platform::session_keys::SigningKey;
use pc_tests::accounts_support::{bare_client, get_with_bearer, refresh_with, set_cookie};
use pc_tests::reqwest::StatusCode;
use pc_tests::{browser, expect_json, json, scenario};

use super::fixtures::{OWNER_EMAIL, OWNER_PASSWORD, owner_tokens};

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
        let config = &app.server.context.config;
        let key = tokens::session_signing_key(config).unwrap();
        let now = app.server.context.clock.now();
        let claims = tokens::verify_session::<AccessClaims>(config, "access", &access, now)
            .unwrap()
            .unwrap()
            .claims;

        let parts: Vec<&str> = access.split('.').collect();
        let mut signature = parts[2].to_owned();
        let last = signature.pop().unwrap();
        signature.push(if last == 'A' { 'B' } else { 'A' });
        let tampered = format!("{}.{}.{signature}", parts[0], parts[1]);
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        // Another Ed25519 key (`openssl genpkey -algorithm ed25519`).
        let other = SigningKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\n\
             MC4CAQAwBQYDK2VwBCIEIKbaHE43au6whASOMJcWSnRqdzJt+lfC+NLmeIhl30z5\n\
             -----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let wrong_key = tokens::sign_session(
            &other,
            "access",
            claims.clone(),
            now,
            chrono::Duration::minutes(30),
        );
        // HS256 keyed with the public key every function knows.
        let public_key = config.jwt_public_keys[0].to_base64();
        let hs256_with_public_key = tokens::sign(
            &public_key,
            "access",
            claims.clone(),
            now,
            chrono::Duration::minutes(30),
        );
        let expired = tokens::sign_session(
            &key,
            "access",
            claims.clone(),
            now - chrono::Duration::hours(2),
            chrono::Duration::minutes(30),
        );
        for (what, token) in [
            ("tampered", tampered),
            ("alg none", unsigned),
            ("wrong key", wrong_key),
            ("HS256 with the public key", hs256_with_public_key),
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
