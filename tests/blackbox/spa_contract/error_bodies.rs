//! Error answers the app can show.

use pc_tests::reqwest::StatusCode;
use pc_tests::{browser, expect_json, json, scenario};

scenario!(
    errors_answer_status_code_and_message_at_the_top_level_too,
    |app| {
        // AuthService.signIn (NestJS):
        //   throw new UnauthorizedException('Invalid credentials or account inactive');
        // which NestJS answered as {statusCode: 401, message: '…', error: 'Unauthorized'};
        // the app shows `message` from the error it caught.
        let client = browser();
        let refused = expect_json(
            app.sign_in_as(&client, "nobody@acme.test", "Wrong-Password-1")
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(refused["statusCode"], 401);
        assert!(refused["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(refused["message"], refused["error"]["message"]);
        assert_eq!(refused["error"]["code"], "unauthorized");

        // A validation error: the same text, the details beside it.
        app.sign_in_owner().await;
        let invalid = expect_json(
            app.post(
                "/v1/users",
                &json!({"email": "not-an-email", "name": "X", "role": "user"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(invalid["statusCode"], 400);
        assert_eq!(invalid["message"], invalid["error"]["message"]);
        assert_eq!(invalid["error"]["details"][0]["field"], "email");

        // Errors the framework makes, and unknown routes, have it too.
        let missing = expect_json(app.get("/v1/no-such-route").await, StatusCode::NOT_FOUND).await;
        assert_eq!(missing["statusCode"], 404);
        assert_eq!(missing["message"], missing["error"]["message"]);
        let doc: serde_json::Value = app
            .get("/api/docs/openapi.json")
            .await
            .json()
            .await
            .unwrap();
        let error = &doc["components"]["schemas"]["ErrorBody"]["properties"];
        assert!(
            error["statusCode"].is_object() && error["message"].is_object(),
            "{error}"
        );
    }
);
