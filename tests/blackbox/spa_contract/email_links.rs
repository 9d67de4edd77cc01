//! Links in emails open the app's own pages.

use pc_http::identity::Role;
use pc_tests::leads_support::{chili_event, deliver, seed_partner, signed_in_user, wait_for};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario};

/// The pages the app's documents name (its routes table, and the pages
/// each feature added), `:param` for a path segment.
const APP_PAGES: &[&str] = &[
    "/",
    "/login",
    "/register",
    "/verify",
    "/dashboard",
    "/forgot-password",
    "/reset-password",
    "/users",
    "/leads",
    "/leads/:id",
    "/appointments",
    "/partners",
    "/partners/:slug",
    "/partners/:slug/leads",
    "/partners/:slug/settings",
    "/settings",
    "/settings/icp",
    "/settings/integrations/hubspot",
    "/settings/sync",
    "/settings/sync/conflicts",
    "/settings/notifications",
    "/finance",
    "/finance/invoices",
    "/marketplace",
    "/marketplace/leads/:id",
    "/marketplace/my-listings",
    "/marketplace/reservations",
    "/marketplace/purchases",
    "/analytics",
    "/analytics/marketplace",
];

fn is_app_page(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    APP_PAGES.iter().any(|page| {
        let pattern: Vec<&str> = page.trim_end_matches('/').split('/').collect();
        pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| (p.starts_with(':') && !s.is_empty()) || p == s)
    })
}

/// Every link to the app in every email sent, as `(subject, link)`.
async fn app_links(app: &TestApp) -> Vec<(String, String)> {
    let client_url = app
        .server
        .context
        .config
        .client_url
        .trim_end_matches('/')
        .to_owned();
    let mut links = Vec::new();
    for mail in app.mailbox().await {
        for body in [&mail["text"], &mail["html"]] {
            let text = body.as_str().unwrap_or_default();
            for (at, _) in text.match_indices(&client_url) {
                let link: String = text[at + client_url.len()..]
                    .chars()
                    .take_while(|c| {
                        !c.is_whitespace() && !matches!(c, '"' | '<' | '>' | ')' | '\'')
                    })
                    .collect();
                links.push((
                    mail["subject"].as_str().unwrap_or_default().to_owned(),
                    link,
                ));
            }
        }
    }
    links
}

scenario!(every_email_link_opens_a_page_of_the_app, |app| {
    app.sign_in_owner().await;
    let pid = seed_partner(app, "Acme", &["Acme Demo"]).await;
    let (_, user_email) = signed_in_user(app, Some(&pid), Role::Admin).await;

    // Sprint 7: "User clicks email link | Token validated | Opens /verify page with token"
    let register =
        json!({"companyName": "Rocket Sales", "name": "Rita", "email": "rita@rocket.test"});
    expect_json(
        app.post("/v1/auth/register-partner", &register).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let verify = app.wait_for_mail("rita@rocket.test", "Verify").await;
    let link = format!(
        "{}/verify?token=",
        app.server.context.config.client_url.trim_end_matches('/')
    );
    assert!(
        verify["text"].as_str().unwrap().contains(&link),
        "{}",
        verify["text"]
    );

    // Invitation (/register), password reset (/reset-password: forgot-password.vue).
    let invite = json!({"email": "ivy@acme.test", "name": "Ivy", "role": "user", "partnerId": pid});
    expect_json(app.post("/v1/users", &invite).await, StatusCode::CREATED).await;
    app.wait_for_mail("ivy@acme.test", "").await;
    expect_json(
        app.post("/auth/forgot-password", &json!({"email": user_email}))
            .await,
        StatusCode::OK,
    )
    .await;
    app.wait_for_mail(&user_email, "").await;

    // A new lead from a meeting (/leads/:id), then lost (the alert: /leads/:id).
    deliver(
        app,
        &chili_event(
            "m-mail",
            "created",
            "Acme Demo",
            "2030-03-01T15:00:00.000Z",
            "gina@guest.example",
        ),
    )
    .await;
    let meetings = wait_for(app, &app.client, "/v1/meetings", |b| {
        b["list"].as_array().is_some_and(|l| !l.is_empty())
    })
    .await;
    let lead_id = meetings["list"][0]["leadId"].as_str().unwrap().to_owned();
    let lost = app
        .patch(
            &format!("/v1/leads/{lead_id}"),
            &json!({"dealStatus": "lost_no_show"}),
        )
        .await;
    expect_json(lost, StatusCode::OK).await;
    app.drain().await;

    let links = app_links(app).await;
    let kinds: Vec<&str> = links
        .iter()
        .map(|(_, l)| l.split('?').next().unwrap())
        .collect();
    for page in ["/verify", "/register", "/reset-password"] {
        assert!(kinds.contains(&page), "no {page} link in {links:?}");
    }
    assert!(
        kinds.iter().any(|k| *k == format!("/leads/{lead_id}")),
        "no lead link in {links:?}"
    );
    for (subject, link) in &links {
        let path = link.split(['?', '#']).next().unwrap();
        assert!(
            is_app_page(path),
            "{subject:?} links to {link}, not a page of the app"
        );
    }
});
