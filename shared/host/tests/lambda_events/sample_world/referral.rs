//! The referral portal's records for its samples: a referral partner
//! (`{{REFERRAL_PARTNER_ID}}`) with a signed-in admin
//! (`{{REFERRER_ACCESS_TOKEN}}`), a referral (`{{REFERRAL_LEAD_ID}}`) that
//! staff won with an amount, so its commission (`{{COMMISSION_ID}}`, the
//! lead's id) is pending.

use axum::Router;
use serde_json::json;

use pc_http::AppState;

use super::call;

const REFERRER_EMAIL: &str = "rae@sample-referrals.example";

pub async fn build(
    ctx: &AppState,
    app: &Router,
    owner_token: Option<&str>,
) -> Result<Vec<(&'static str, String)>, String> {
    let partner = json!({"name": "Sample Referrals", "kind": "referral", "commissionRate": 10});
    let (partner, _) = call(app, "POST", "/v1/partners", owner_token, Some(partner)).await?;
    let partner_id = partner["id"]
        .as_str()
        .ok_or("no referral partner id")?
        .to_owned();
    let token = super::signed_in_admin(ctx, app, &partner_id, REFERRER_EMAIL, "Rae").await?;
    let referral = json!({"clientName": "Cleo Client", "clientEmail": "cleo@client.example",
        "service": "SEO audit"});
    let (lead, _) = call(
        app,
        "POST",
        "/api/partner/leads",
        Some(&token),
        Some(referral),
    )
    .await?;
    let lead_id = lead["id"].as_str().ok_or("no referral id")?.to_owned();
    let won = json!({"dealStatus": "won", "dealAmount": 1000});
    call(
        app,
        "PATCH",
        &format!("/v1/leads/{lead_id}"),
        owner_token,
        Some(won),
    )
    .await?;
    Ok(vec![
        ("REFERRER_ACCESS_TOKEN", token),
        ("REFERRAL_PARTNER_ID", partner_id),
        ("REFERRAL_LEAD_ID", lead_id.clone()),
        ("COMMISSION_ID", lead_id),
    ])
}
