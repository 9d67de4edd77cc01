//! The tenancy matrix: who may read and change which users and partners,
//! by role and partner, and the last-owner guard.

use pc_tests::accounts_support::{create_partner, invite_and_accept, status_of};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

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
