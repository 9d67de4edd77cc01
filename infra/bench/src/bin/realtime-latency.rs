//! Real-time event latency on the dev server: `realtime-latency
//! [--listings 200]` starts the dev server (embedded store in memory),
//! seeds a seller whose Stripe account is enabled and a buyer, opens the
//! buyer's WebSocket on `GET /ws?ticket=` (a connection ticket), then lists the seller's leads one
//! after another and times each from the listing request to its
//! `lead-listed` message arriving on the buyer's socket. Prints p50, p99
//! and max.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use pc_accounts::partners_store::{PartnerRecord, partner_item};
use pc_accounts::stripe_connect::first_state_write;
use pc_accounts::users_store::create_user;
use pc_host::devserver::{DevServer, Options};
use pc_http::identity::{Role, UserRecord};
use pc_platform::AppState;
use pc_platform::payments::ConnectedAccount;

const PASSWORD: &str = "Bench-Password-1";

fn listings() -> anyhow::Result<usize> {
    let mut args = std::env::args().skip(1);
    let mut n = 200;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listings" => n = args.next().unwrap_or_default().parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(n)
}

/// An active partner with one signed-in admin: (partner id, its browser,
/// its access token).
async fn partner(
    ctx: &AppState,
    base: &str,
    name: &str,
) -> anyhow::Result<(String, reqwest::Client, String)> {
    let now = ctx.clock.now();
    let id = ctx.ids.new_id();
    let slug = format!("{}-{}", name.to_lowercase(), id.to_lowercase());
    ctx.store
        .put(
            partner_item(&PartnerRecord::new_active(&id, name, &slug, now))?,
            None,
        )
        .await?;
    let email = format!("admin-{}@bench.test", id.to_lowercase());
    let user = UserRecord {
        id: ctx.ids.new_id(),
        email: email.clone(),
        name: format!("{name} admin"),
        role: Role::Admin,
        partner_id: Some(id.clone()),
        is_active: true,
        is_partner_owner: false,
        password_hash: Some(pc_accounts::passwords::hash(PASSWORD)),
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    create_user(&*ctx.store, &user).await?;
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    let response = browser
        .post(format!("{base}/auth/sign-in"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "sign-in: {}",
        response.status()
    );
    let token = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no access token"))?
        .to_owned();
    Ok((id, browser, token))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n = listings()?;
    let mut options = Options::ephemeral();
    options.config.cookie_secure = false;
    let server = DevServer::start(options).await?;
    let base = format!("http://{}", server.addr);
    let ctx = server.context.clone();
    let (seller, seller_browser, _) = partner(&ctx, &base, "Seller").await?;
    let (_, _, buyer_token) = partner(&ctx, &base, "Buyer").await?;
    let enabled = ConnectedAccount {
        id: "acct_bench".into(),
        details_submitted: true,
        charges_enabled: true,
        payouts_enabled: true,
        metadata: Default::default(),
    };
    ctx.store
        .transact(vec![first_state_write(&seller, &enabled, ctx.clock.now())?])
        .await?;
    let mut leads = Vec::with_capacity(n);
    for i in 0..n {
        let lead = json!({"email": format!("lead{i}@bench.example"), "company": "Bench Co",
            "industry": "Software", "country": "US"});
        let created: Value = seller_browser
            .post(format!("{base}/v1/leads"))
            .json(&lead)
            .send()
            .await?
            .json()
            .await?;
        leads.push(created["id"].as_str().unwrap_or_default().to_owned());
    }
    let ticket: Value = reqwest::Client::new()
        .post(format!("{base}/v1/realtime/ticket"))
        .bearer_auth(&buyer_token)
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await?;
    let ticket = ticket["ticket"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no connection ticket: {ticket}"))?;
    let url = format!("ws://{}/ws?ticket={ticket}", server.addr);
    let (mut socket, _) = connect_async(url).await?;

    let mut took = Vec::with_capacity(n);
    for lead in &leads {
        let start = Instant::now();
        let listed = seller_browser
            .post(format!("{base}/v1/marketplace/leads/{lead}/list"))
            .json(&json!({"price": 50}))
            .send()
            .await?;
        anyhow::ensure!(listed.status().is_success(), "listing: {}", listed.status());
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the socket closed"))??;
            if let Message::Text(text) = message {
                let event: Value = serde_json::from_str(text.as_str())?;
                if event["type"] == "lead-listed" && event["data"]["leadId"] == lead.as_str() {
                    break;
                }
            }
        }
        took.push(start.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "{n} listings: listing → lead-listed on another partner's socket: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&took, 0.50)),
        ms(percentile(&took, 0.99)),
        ms(took[took.len() - 1])
    );
    server.stop().await;
    Ok(())
}
