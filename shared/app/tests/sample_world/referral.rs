//! The referral portal's records for its samples: a referral partner
//! (`{{REFERRAL_PARTNER_ID}}`) with a signed-in admin
//! (`{{REFERRER_ACCESS_TOKEN}}`), a referral (`{{REFERRAL_LEAD_ID}}`) that
//! staff won with an amount, so its commission (`{{COMMISSION_ID}}`, the
//! lead's id) is pending.

use axum::Router;
use serde_json::json;

use pc_api::AppState;

use super::{OWNER_PASSWORD, call};

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
    let now = ctx.clock.now();
    let admin = pc_api::identity::UserRecord {
        id: ctx.ids.new_id(),
        email: REFERRER_EMAIL.into(),
        name: "Rae".into(),
        role: pc_api::identity::Role::Admin,
        partner_id: Some(partner_id.clone()),
        is_active: true,
        is_partner_owner: false,
        password_hash: Some(pc_accounts::passwords::hash(OWNER_PASSWORD)),
        tokens_valid_after: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    pc_accounts::users_store::create_user(&*ctx.store, &admin)
        .await
        .map_err(|e| e.to_string())?;
    let signed_in = json!({"email": REFERRER_EMAIL, "password": OWNER_PASSWORD});
    let (_, cookies) = call(app, "POST", "/auth/sign-in", None, Some(signed_in)).await?;
    let token = cookies
        .iter()
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or("the referrer's sign-in set no accessToken")?;
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
