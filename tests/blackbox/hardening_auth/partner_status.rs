//! What a partner's status lets its users do: awaiting approval reaches
//! only its setup; an inactive partner's users are signed out.

use pc_tests::accounts_support::{PASSWORD, create_partner, invite_and_accept, status_of};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{browser, expect_json, json, scenario};

use super::fixtures::registered_partner;

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
