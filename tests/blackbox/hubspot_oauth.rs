//! Black-box scenarios of connecting HubSpot: a partner admin goes through
//! authorize → the (fake) consent page → callback and lands on the SPA with
//! `status=success`; the tokens are stored encrypted; status, pipeline
//! creation (once) and disconnection; a tampered, reused or expired state
//! connects nothing, nor does a consent link completed in a browser other
//! than the one that asked; a portal connects to one partner at a time;
//! another partner's connection is a 404.

use chrono::{Duration, Utc};
use pc_crm::connection::ConnectionRecord;
use pc_crm::keys::connection_key;
use pc_crm::token_cipher::TokenCipher;
use pc_http::identity::Role;
use pc_platform::store::from_item;
use pc_tests::hubspot_oauth_support::{
    Flow, authorize, connect, consent, finish, finish_with_reason, param, portal_view, status,
    with_param,
};
use pc_tests::leads_support::{PASSWORD, get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, scenario};

/// Moves the clock to `minutes` after `start` and signs `client` in again
/// (its session token lives thirty minutes).
async fn move_clock(
    app: &TestApp,
    client: &pc_tests::reqwest::Client,
    email: &str,
    start: chrono::DateTime<Utc>,
    minutes: i64,
) {
    app.set_clock(&(start + Duration::minutes(minutes)).to_rfc3339())
        .await;
    let signed_in = app.sign_in_as(client, email, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

async fn stored(app: &TestApp, partner_id: &str) -> Option<serde_json::Value> {
    app.server
        .context
        .store
        .get(&connection_key(partner_id))
        .await
        .expect("the store answers")
        .map(serde_json::Value::Object)
}

scenario!(
    a_partner_connects_creates_its_pipeline_once_and_disconnects,
    |app| {
        let pid = seed_partner(app, "Hub Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let onboarding = format!("/v1/partners/{pid}/onboarding");
        let before = get_ok(app, &admin, &onboarding).await;
        assert_eq!(before["steps"]["hubspotConnected"], false);
        assert_eq!(status(app, &admin, &pid).await["connected"], false);

        assert_eq!(connect(app, &admin, &pid).await, "success");
        let connected = status(app, &admin, &pid).await;
        assert_eq!(connected["connected"], true);
        assert_eq!(connected["healthy"], true);
        assert!(
            connected["portalId"]
                .as_str()
                .is_some_and(|p| !p.is_empty())
        );
        // Every scope the app asks for is granted.
        let granted = connected["scopes"].as_array().unwrap();
        for asked in pc_crm::oauth_api::SCOPES.split(' ') {
            assert!(granted.iter().any(|s| s == asked), "{asked}: {connected}");
        }
        assert!(connected["expiresAt"].as_str().is_some());
        assert!(connected["pipelineId"].is_null());
        let text = connected.to_string();
        assert!(
            !text.contains("fake-access") && !text.contains("fake-refresh"),
            "{text}"
        );
        let after = get_ok(app, &admin, &onboarding).await;
        assert_eq!(after["steps"]["hubspotConnected"], true);

        // The raw item holds ciphertext only: decrypting gives a token HubSpot
        // accepts, and that token's text is nowhere in the item.
        let raw = stored(app, &pid).await.expect("the connection is stored");
        let record: ConnectionRecord = from_item(raw.as_object().unwrap().clone()).unwrap();
        let cipher = TokenCipher::from_config(&app.server.context.config).unwrap();
        let access = record.access_token(&cipher).unwrap();
        let refresh = record.refresh_token(&cipher).unwrap();
        let raw_text = raw.to_string();
        assert!(
            !raw_text.contains(access.expose()),
            "access token in the clear"
        );
        assert!(
            !raw_text.contains(refresh.expose()),
            "refresh token in the clear"
        );
        assert_eq!(raw["accessToken"]["keyId"], cipher.current_key_id());
        let info = app.server.context.crm.token_info(&access).await.unwrap();
        assert_eq!(info.portal_id, connected["portalId"].as_str().unwrap());

        // Another partner's admin sees none of it.
        let other = seed_partner(app, "Elsewhere", &[]).await;
        let (stranger, _) = signed_in_user(app, Some(&other), Role::Admin).await;
        for (method, path) in [
            (
                Method::GET,
                format!("/v1/integrations/hubspot/{pid}/status"),
            ),
            (
                Method::POST,
                format!("/v1/integrations/hubspot/{pid}/create-pipeline"),
            ),
            (Method::DELETE, format!("/v1/integrations/hubspot/{pid}")),
            (
                Method::GET,
                format!("/v1/integrations/hubspot/authorize?partnerId={pid}"),
            ),
        ] {
            let body = (method == Method::POST).then(|| pc_tests::json!({}));
            let answer = app.send(&stranger, method, &path, body.as_ref()).await;
            assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
        }

        let create = format!("/v1/integrations/hubspot/{pid}/create-pipeline");
        let first = expect_json(
            app.send(&admin, Method::POST, &create, Some(&pc_tests::json!({})))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(first["created"], true);
        assert_eq!(first["stages"].as_array().unwrap().len(), 7);
        let second = expect_json(
            app.send(&admin, Method::POST, &create, Some(&pc_tests::json!({})))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(second["created"], false);
        assert_eq!(second["pipelineId"], first["pipelineId"]);
        let pipelines = portal_view(app, &pid, "pipelines").await;
        let ours = pipelines["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["label"] == "Partner Connector")
            .count();
        assert_eq!(ours, 1, "one pipeline in HubSpot");
        assert_eq!(
            status(app, &admin, &pid).await["pipelineId"],
            first["pipelineId"]
        );

        let disconnect = format!("/v1/integrations/hubspot/{pid}");
        let gone = app.send(&admin, Method::DELETE, &disconnect, None).await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        assert!(stored(app, &pid).await.is_none());
        assert_eq!(status(app, &admin, &pid).await["connected"], false);
        let again = app.send(&admin, Method::DELETE, &disconnect, None).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
        let pipeline_now = app
            .send(&admin, Method::POST, &create, Some(&pc_tests::json!({})))
            .await;
        assert_eq!(pipeline_now.status(), StatusCode::CONFLICT);
    }
);

scenario!(
    the_consent_page_and_the_callback_are_on_the_port_the_server_listens_on,
    |app| {
        // The test server listens on a port the system picked (port 0),
        // never the default 3000.
        let origin = app.base.trim_end_matches('/');
        assert!(!origin.ends_with(":3000"), "{origin}");
        let pid = seed_partner(app, "Port Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let authorization = authorize(app, &admin, &pid).await;
        assert_eq!(authorization.origin().ascii_serialization(), origin);
        let callback_uri = format!("{origin}/v1/integrations/hubspot/callback");
        assert_eq!(param(&authorization, "redirect_uri"), callback_uri);
        let callback = consent(app, &authorization).await;
        assert_eq!(callback.origin().ascii_serialization(), origin);
        assert_eq!(callback.path(), "/v1/integrations/hubspot/callback");
        assert_eq!(finish(app, &callback).await, "success");
    }
);

scenario!(a_tampered_reused_or_expired_state_connects_nothing, |app| {
    let pid = seed_partner(app, "Guarded", &[]).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;

    // Tampered: one character of the signed state changed.
    let authorization = authorize(app, &admin, &pid).await;
    let callback = consent(app, &authorization).await;
    let state = param(&callback, "state");
    let mut forged: Vec<char> = state.chars().collect();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let tampered = with_param(&callback, "state", &forged);
    assert_eq!(finish(app, &tampered).await, "error");
    let missing = with_param(&callback, "state", "");
    assert_eq!(finish(app, &missing).await, "error");
    assert!(stored(app, &pid).await.is_none());

    // The genuine callback still works once; replayed, it is refused and
    // changes nothing.
    assert_eq!(finish(app, &callback).await, "success");
    let first = stored(app, &pid).await.expect("connected");
    assert_eq!(finish(app, &callback).await, "error");
    assert_eq!(stored(app, &pid).await.expect("still connected"), first);

    // A fresh state with a code of another consent: the state is good but
    // single-use even when the exchange fails.
    let authorization = authorize(app, &admin, &pid).await;
    let callback = consent(app, &authorization).await;
    let bad_code = with_param(&callback, "code", "not-a-code");
    assert_eq!(finish(app, &bad_code).await, "error");
    assert_eq!(finish(app, &callback).await, "error");
    assert_eq!(stored(app, &pid).await.expect("unchanged"), first);

    // Expired: the consent took eleven minutes.
    let other = seed_partner(app, "Slow Co", &[]).await;
    let (slow, _) = signed_in_user(app, Some(&other), Role::Admin).await;
    let authorization = authorize(app, &slow, &other).await;
    let callback = consent(app, &authorization).await;
    let later = Utc::now() + Duration::minutes(11);
    app.set_clock(&later.to_rfc3339()).await;
    assert_eq!(finish(app, &callback).await, "error");
    assert!(stored(app, &other).await.is_none());
    assert_eq!(status(app, &slow, &other).await["connected"], false);

    // Declining on HubSpot's page is an error too.
    let authorization = authorize(app, &slow, &other).await;
    let mut denied = authorization.clone();
    denied.query_pairs_mut().append_pair("deny", "1");
    let callback = consent(app, &denied).await;
    assert_eq!(param(&callback, "error"), "access_denied");
    assert_eq!(finish(app, &callback).await, "error");
    assert!(stored(app, &other).await.is_none());
});

scenario!(
    the_refresh_schedule_keeps_tokens_fresh_and_reports_a_refused_one_once,
    |app| {
        let pid = seed_partner(app, "Fresh Co", &[]).await;
        let (admin, admin_email) = signed_in_user(app, Some(&pid), Role::Admin).await;
        assert_eq!(connect(app, &admin, &pid).await, "success");
        let first_expiry = status(app, &admin, &pid).await["expiresAt"].clone();

        // Twenty minutes on, the token expires within the hour: refreshed.
        let start = Utc::now();
        move_clock(app, &admin, &admin_email, start, 20).await;
        let run = app.run_job("hubspot-token-refresh").await;
        assert_eq!(run["status"], "completed", "{run}");
        let refreshed = status(app, &admin, &pid).await;
        assert_ne!(refreshed["expiresAt"], first_expiry);
        assert_eq!(refreshed["healthy"], true);
        // Past the first token's expiry, the refreshed one works.
        move_clock(app, &admin, &admin_email, start, 45).await;
        let create = format!("/v1/integrations/hubspot/{pid}/create-pipeline");
        let created = app
            .send(&admin, Method::POST, &create, Some(&pc_tests::json!({})))
            .await;
        expect_json(created, StatusCode::OK).await;

        // The partner uninstalls the app in HubSpot: the refresh is refused.
        let revoke = app
            .put(
                &format!("/dev/hubspot/{pid}/revoked"),
                &pc_tests::json!({"revoked": true}),
            )
            .await;
        assert_eq!(revoke.status(), StatusCode::OK);
        // A due schedule may run the job during a drain too: what is checked
        // is the outcome, whichever run did the work.
        for minutes in [60, 90] {
            move_clock(app, &admin, &admin_email, start, minutes).await;
            let run = app.run_job("hubspot-token-refresh").await;
            assert_eq!(run["counts"]["refreshed"], 0, "{run}");
            app.drain().await;
        }
        let unhealthy = status(app, &admin, &pid).await;
        assert_eq!(unhealthy["healthy"], false);
        assert_eq!(unhealthy["connected"], true);
        let mails =
            pc_tests::notify_support::mails_to(app, &admin_email, "HubSpot connection lost").await;
        assert_eq!(mails.len(), 1, "one email to the admin");
        assert!(
            mails[0]["text"]
                .as_str()
                .unwrap()
                .contains("/settings/integrations/hubspot")
        );
        let refused = app
            .send(&admin, Method::POST, &create, Some(&pc_tests::json!({})))
            .await;
        let refused = expect_json(refused, StatusCode::CONFLICT).await;
        assert_eq!(refused["error"]["code"], "hubspot_unhealthy");
        // A sync says the same, not "connect HubSpot", while the status
        // says connected.
        let sync = app
            .send(
                &admin,
                Method::POST,
                &format!("/v1/sync/{pid}/hubspot"),
                Some(&pc_tests::json!({})),
            )
            .await;
        let sync = expect_json(sync, StatusCode::CONFLICT).await;
        assert_eq!(sync["error"]["code"], "hubspot_unhealthy", "{sync}");
        let message = sync["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("refused") && message.contains("connect HubSpot again"),
            "{message}"
        );

        // Connecting again makes it healthy.
        assert_eq!(connect(app, &admin, &pid).await, "success");
        assert_eq!(status(app, &admin, &pid).await["healthy"], true);
    }
);

scenario!(
    a_consent_link_completed_in_another_browser_connects_nothing,
    |app| {
        let pid = seed_partner(app, "Lure Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;

        // The admin sends its consent link to someone else, who consents
        // with their own portal: their browser holds no binding cookie.
        let authorization = authorize(app, &admin, &pid).await;
        let victim = authorization.in_browser_with(None);
        let callback = consent(app, &victim).await;
        assert_eq!(
            finish_with_reason(app, &callback).await,
            ("error".to_owned(), "other_browser".to_owned())
        );
        assert!(stored(app, &pid).await.is_none());
        // The state is spent: the asking browser cannot use it now either.
        let spent = callback.in_browser_with(authorization.cookie.clone());
        assert_eq!(finish(app, &spent).await, "error");
        assert!(stored(app, &pid).await.is_none());

        // Another flow's cookie is not this flow's.
        let first = authorize(app, &admin, &pid).await;
        let second = authorize(app, &admin, &pid).await;
        let callback = consent(app, &first).await;
        let mixed = callback.in_browser_with(second.cookie.clone());
        assert_eq!(
            finish_with_reason(app, &mixed).await,
            ("error".to_owned(), "other_browser".to_owned())
        );
        assert_eq!(status(app, &admin, &pid).await["connected"], false);

        // The honest flow, in the asking browser, connects.
        let authorization = authorize(app, &admin, &pid).await;
        let callback = consent(app, &authorization).await;
        assert_eq!(finish(app, &callback).await, "success");
        assert_eq!(status(app, &admin, &pid).await["connected"], true);
    }
);

/// The flow of `client` for `partner_id`, consenting with `portal_id`.
async fn consent_with_portal(
    app: &TestApp,
    client: &pc_tests::reqwest::Client,
    partner_id: &str,
    portal_id: &str,
) -> Flow {
    let mut authorization = authorize(app, client, partner_id).await;
    authorization
        .query_pairs_mut()
        .append_pair("portalId", portal_id);
    consent(app, &authorization).await
}

scenario!(
    one_hubspot_portal_connects_to_one_partner_at_a_time,
    |app| {
        let first = seed_partner(app, "First Co", &[]).await;
        let second = seed_partner(app, "Second Co", &[]).await;
        let (first_admin, _) = signed_in_user(app, Some(&first), Role::Admin).await;
        let (second_admin, _) = signed_in_user(app, Some(&second), Role::Admin).await;
        assert_eq!(connect(app, &first_admin, &first).await, "success");
        let portal = status(app, &first_admin, &first).await["portalId"]
            .as_str()
            .unwrap()
            .to_owned();

        // The second partner consents with the first one's portal: refused.
        let callback = consent_with_portal(app, &second_admin, &second, &portal).await;
        assert_eq!(
            finish_with_reason(app, &callback).await,
            ("error".to_owned(), "portal_in_use".to_owned())
        );
        assert_eq!(
            status(app, &second_admin, &second).await["connected"],
            false
        );
        assert_eq!(
            status(app, &first_admin, &first).await["portalId"],
            portal.as_str()
        );
        // The first partner reconnecting its own portal is fine.
        let callback = consent_with_portal(app, &first_admin, &first, &portal).await;
        assert_eq!(finish(app, &callback).await, "success");

        // Disconnecting frees the portal for the second partner.
        let path = format!("/v1/integrations/hubspot/{first}");
        let gone = app.send(&first_admin, Method::DELETE, &path, None).await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        let callback = consent_with_portal(app, &second_admin, &second, &portal).await;
        assert_eq!(finish(app, &callback).await, "success");
        assert_eq!(
            status(app, &second_admin, &second).await["portalId"],
            portal.as_str()
        );
        // Now the first partner is the one refused.
        let callback = consent_with_portal(app, &first_admin, &first, &portal).await;
        assert_eq!(
            finish_with_reason(app, &callback).await,
            ("error".to_owned(), "portal_in_use".to_owned())
        );
    }
);
