//! Invitations: an invited user accepts, signs in, and is locked out on
//! the next request once deactivated.

use pc_tests::accounts_support::{PASSWORD, create_partner, invite_and_accept, token_from_mail};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{browser, expect_json, json, scenario};

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
