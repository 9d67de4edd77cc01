//! The seeded store every benchmarked request reads: the owner, a partner
//! routed the bench meeting type, and leads, created through the dev
//! server's router as a user would.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use pc_host::catalog;
use pc_platform::EmbeddedParts;
use pc_platform::store::embedded::EmbeddedStore;

use crate::settings::config;

const OWNER_EMAIL: &str = "bench-owner@example.com";
const OWNER_PASSWORD: &str = "Bench-Password-1";
pub const MEETING_TYPE: &str = "Bench Intro";
const SEEDED_LEADS: usize = 300;

/// What the seeded store holds that requests name.
pub struct Seeded {
    /// The owner's access token.
    pub token: String,
    /// The bench partner, which new leads are created for.
    pub partner_id: String,
    /// The store itself.
    pub store: Arc<EmbeddedStore>,
}

pub async fn send(
    app: &Router,
    request: Request<Body>,
) -> anyhow::Result<(u16, Vec<String>, Value)> {
    let response = app.clone().oneshot(request).await?;
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        cookies,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::COOKIE, format!("accessToken={token}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("a valid request")
}

/// Seeds the store under `dir`: the owner, a partner routed the bench
/// meeting type, and leads.
pub async fn seed(dir: &Path) -> anyhow::Result<Seeded> {
    let store = Arc::new(EmbeddedStore::open(&dir.join("store.redb"))?);
    let ctx = EmbeddedParts::new(store.clone(), config()).context;
    pc_accounts_seed(&ctx).await?;
    let app = pc_host::devserver::http_app(&ctx, false);
    let (status, cookies, body) = send(
        &app,
        request(
            "POST",
            "/auth/sign-in",
            None,
            Some(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})),
        ),
    )
    .await?;
    if status != 200 {
        bail!("bench sign-in answered {status}: {body}");
    }
    let token = cookies
        .iter()
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .context("sign-in sets the accessToken cookie")?
        .to_owned();
    let mut partner_id = String::new();
    if catalog::find("partners-create").is_some() {
        let partner = json!({"name": "Bench Agency", "chiliMeetingTypes": [MEETING_TYPE]});
        let (status, _, body) = send(
            &app,
            request("POST", "/v1/partners", Some(&token), Some(&partner)),
        )
        .await?;
        if status != 201 && status != 200 {
            bail!("creating the bench partner answered {status}: {body}");
        }
        partner_id = body["id"].as_str().unwrap_or_default().to_owned();
        if catalog::find("leads-create").is_some() {
            for i in 0..SEEDED_LEADS {
                let lead = json!({"partnerId": partner_id, "email": format!("lead{i}@bench.example"),
                    "firstName": "Bench", "lastName": format!("Lead {i}"), "company": format!("Company {i}")});
                let (status, _, body) = send(
                    &app,
                    request("POST", "/v1/leads", Some(&token), Some(&lead)),
                )
                .await?;
                if status >= 300 {
                    bail!("creating a bench lead answered {status}: {body}");
                }
            }
        }
    }
    Ok(Seeded {
        token,
        partner_id,
        store,
    })
}

async fn pc_accounts_seed(ctx: &pc_platform::AppState) -> anyhow::Result<()> {
    pc_accounts::seed::seed_owner(ctx, OWNER_EMAIL, OWNER_PASSWORD).await?;
    Ok(())
}
