//! The records the `events/` samples act on. A sample names them by
//! placeholder (`accessToken={{ACCESS_TOKEN}}` in its cookies,
//! `{{LEAD_ID}}` in its path); [`SampleWorld::build`] creates them through
//! the system's own routes, as a user would, and [`SampleWorld::fill`]
//! puts their values in. With `sam local invoke`, replace the placeholders
//! with a session and records of the target environment (infra/README.md).
//!
//! The HubSpot samples act on a HubSpot world ([`hubspot`]) built on the
//! fake HubSpot: `{{HUBSPOT_PORTAL_ID}}`, `{{HUBSPOT_CONTACT_ID}}`,
//! `{{HUBSPOT_DEAL_ID}}` (a synced lead's records), `{{HUBSPOT_STAGE_<STATUS>}}`
//! (the pipeline's stage of each lead status, `NEW` … `LOST_NO_POTENTIAL`),
//! `{{SYNC_TASK_ID}}` (a sync waiting to start), `{{CONFLICT_ID}}` (an open
//! conflict), `{{OAUTH_STATE}}`, `{{OAUTH_BINDING}}` and `{{OAUTH_CODE}}` (a fresh
//! callback, from the browser that asked),
//! and `{{HUBSPOT_TIMESTAMP}}` with `{{HUBSPOT_SIGNATURE}}`, the webhook
//! sample's signature computed over the sample as filled.
//!
//! The public partner API's samples ([`partner_api`]) send
//! `Authorization: Bearer {{PARTNER_API_TOKEN}}`, a token of the sample
//! partner; `{{PARTNER_API_TOKEN_ID}}` is its id and
//! `{{PARTNER_API_REQUEST_ID}}` a status request made with it.
//!
//! The WebSocket `$connect` sample comes from `{{CORS_ORIGIN}}` with
//! `{{REALTIME_TICKET}}`, a partner admin's connection ticket; the
//! ticket endpoint's sample is asked with that admin's
//! `{{PARTNER_ADMIN_TOKEN}}`.

mod hubspot;
mod market;
mod partner_api;
mod referral;
mod router_calls;
pub mod samples;

use axum::Router;
use serde_json::{Value, json};

use pc_accounts::one_time_tokens::{self, Purpose};
use pc_http::AppState;

use market::MarketWorld;
use router_calls::{call, call_raw, send};

/// The owner the samples sign in as (`auth-sign-in.json` uses these).
pub const OWNER_EMAIL: &str = "sample-owner@partner-connector.example";
pub const OWNER_PASSWORD: &str = "Sample-Password-1";

/// Placeholder name → value.
pub struct SampleWorld {
    values: Vec<(&'static str, String)>,
}

impl SampleWorld {
    /// The owner and their session, a partner (billing configured) with an invited user, a lead
    /// and an import, a self-registered partner awaiting verification, a
    /// finished job run, and the one-time and magic-link tokens the emails
    /// would carry, in `ctx`'s store.
    pub async fn build(ctx: &AppState) -> Result<Self, String> {
        pc_accounts::seed::seed_owner(ctx, OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .map_err(|e| format!("seeding the owner: {e:?}"))?;
        let app = pc_host::devserver::http_app(ctx, false);
        let (owner, cookies) = call(
            &app,
            "POST",
            "/auth/sign-in",
            None,
            Some(json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})),
        )
        .await?;
        let cookie = |name: &str| {
            cookies
                .iter()
                .find_map(|c| c.strip_prefix(&format!("{name}=")))
                .and_then(|c| c.split(';').next())
                .map(str::to_owned)
                .ok_or_else(|| format!("sign-in set no {name} cookie"))
        };
        let access = cookie("accessToken")?;
        let refresh = cookie("refreshToken")?;
        let token = Some(access.as_str());
        let id = |(body, _): (Value, Vec<String>), what: &str| {
            body["id"]
                .as_str()
                .or_else(|| body["taskId"].as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("creating {what} answered no id: {body}"))
        };
        let billing = json!({"billingType": "qualified_lead", "billingEmail": "ap@sample-agency.example",
            "billingTerms": [{"startMonth": "2026-01", "endMonth": null, "value": 50}]});
        let partner = json!({"name": "Sample Agency", "chiliMeetingTypes": ["Intro Call"],
            "billing": billing});
        let partner_id = id(
            call(&app, "POST", "/v1/partners", token, Some(partner)).await?,
            "the partner",
        )?;
        let user = json!({"email": "pat@sample-agency.example", "name": "Pat",
            "role": "user", "partnerId": partner_id});
        let user_id = id(
            call(&app, "POST", "/v1/users", token, Some(user)).await?,
            "the user",
        )?;
        let lead = json!({"partnerId": partner_id, "email": "lee@prospect.example",
            "firstName": "Lee", "lastName": "Prospect", "company": "Prospect Inc."});
        let lead_id = id(
            call(&app, "POST", "/v1/leads", token, Some(lead)).await?,
            "the lead",
        )?;
        let partner_admin = partner_admin_token(ctx, &app, &partner_id).await?;
        let (ticket, _) = call(
            &app,
            "POST",
            "/v1/realtime/ticket",
            Some(&partner_admin),
            Some(json!({})),
        )
        .await?;
        let realtime_ticket = ticket["ticket"]
            .as_str()
            .ok_or_else(|| format!("no connection ticket: {ticket}"))?
            .to_owned();
        let run = "/v1/admin/jobs/daily-lead-reminders/run";
        let run_id = id(
            call(&app, "POST", run, token, Some(json!({}))).await?,
            "the job run",
        )?;
        let import = multipart_import(&partner_id);
        let import_id = id(
            call_raw(&app, "POST", "/v1/leads/import", token, Some(import)).await?,
            "the import",
        )?;
        let registration = json!({"companyName": "Rocket Sales Ltd.", "website": "rocket.example",
            "name": "Rita", "email": "rita@rocket.example"});
        call(
            &app,
            "POST",
            "/v1/auth/register-partner",
            None,
            Some(registration),
        )
        .await?;
        let rita = pc_accounts::users_store::find_by_email(&*ctx.store, "rita@rocket.example")
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the registration created no user")?;
        let owner_id = owner["id"].as_str().ok_or("sign-in answered no id")?;
        let now = ctx.clock.now();
        let reset = one_time_tokens::issue(Purpose::PasswordReset, owner_id, None, now);
        let invitation =
            one_time_tokens::issue(Purpose::Invitation, &user_id, Some(&partner_id), now);
        let verification = one_time_tokens::issue(
            Purpose::RegistrationVerification,
            &rita.id,
            rita.partner_id.as_deref(),
            now,
        );
        ctx.store
            .transact(vec![reset.write, invitation.write, verification.write])
            .await
            .map_err(|e| e.to_string())?;
        let magic = pc_notify::magic_links::overdue_token(
            &ctx.config
                .secrets
                .current(pc_platform::config::Secret::MagicLink)
                .unwrap(),
            &partner_id,
            now,
        );
        let stripe_signature = stripe_sample_signature(
            ctx,
            "billing-stripe-webhook.json",
            pc_platform::config::Secret::StripeWebhook,
        )?;
        let stripe_connect_signature = stripe_sample_signature(
            ctx,
            "billing-stripe-connect-webhook.json",
            pc_platform::config::Secret::StripeConnectWebhook,
        )?;
        let market = MarketWorld::build(ctx, &app, token, &partner_id, &lead_id).await?;
        let hubspot = hubspot::build(ctx, &app, token, &partner_id, owner_id).await?;
        let partner_api = partner_api::build(&app, &partner_admin, &partner_id, &lead_id).await?;
        let referral = referral::build(ctx, &app, token).await?;
        let mut world = Self {
            values: vec![
                ("BUYER_ACCESS_TOKEN", market.buyer_access),
                ("MARKET_LEAD_ID", market.listed_lead_id),
                ("RESERVATION_ID", market.reservation_id),
                ("PURCHASE_ID", market.purchase_id),
                ("STRIPE_SIGNATURE", stripe_signature),
                ("STRIPE_CONNECT_SIGNATURE", stripe_connect_signature),
                ("ACCESS_TOKEN", access),
                ("PARTNER_ADMIN_TOKEN", partner_admin),
                ("REALTIME_TICKET", realtime_ticket),
                ("CORS_ORIGIN", ctx.config.cors_origin.clone()),
                ("REFRESH_TOKEN", refresh),
                ("PARTNER_ID", partner_id),
                ("USER_ID", user_id),
                ("LEAD_ID", lead_id),
                ("JOB_RUN_ID", run_id),
                ("IMPORT_ID", import_id),
                ("RESET_TOKEN", reset.secret),
                ("INVITATION_TOKEN", invitation.secret),
                ("VERIFICATION_TOKEN", verification.secret),
                ("MAGIC_TOKEN", magic),
            ],
        };
        world.values.extend(hubspot);
        world.values.extend(partner_api);
        world.values.extend(referral);
        let signature = world.webhook_signature(ctx)?;
        world.values.push(("HUBSPOT_SIGNATURE", signature));
        Ok(world)
    }

    /// The HubSpot webhook sample's signature, over the sample as filled.
    fn webhook_signature(&self, ctx: &AppState) -> Result<String, String> {
        let timestamp = self
            .values
            .iter()
            .find(|(name, _)| *name == "HUBSPOT_TIMESTAMP")
            .map(|(_, value)| value.clone())
            .ok_or("the HubSpot world set no timestamp")?;
        hubspot::webhook_signature(ctx, |text| self.fill(text), &timestamp)
    }

    /// `text` with every known placeholder replaced by its value.
    pub fn fill(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{{{name}}}}}"), value)
            })
    }
}

/// The access token of an admin of `partner_id` (samples of what only a
/// partner's own admins do: connecting Stripe, buying leads).
async fn partner_admin_token(
    ctx: &AppState,
    app: &Router,
    partner_id: &str,
) -> Result<String, String> {
    signed_in_admin(ctx, app, partner_id, "alex@sample-agency.example", "Alex").await
}

/// Makes `email` an admin of `partner_id` and answers the access token of
/// its sign-in.
async fn signed_in_admin(
    ctx: &AppState,
    app: &Router,
    partner_id: &str,
    email: &str,
    name: &str,
) -> Result<String, String> {
    let now = ctx.clock.now();
    let admin = pc_http::identity::UserRecord {
        id: ctx.ids.new_id(),
        email: email.into(),
        name: name.into(),
        role: pc_http::identity::Role::Admin,
        partner_id: Some(partner_id.to_owned()),
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
    let signed_in = json!({"email": email, "password": OWNER_PASSWORD});
    let (_, cookies) = call(app, "POST", "/auth/sign-in", None, Some(signed_in)).await?;
    cookies
        .iter()
        .find_map(|c| c.strip_prefix("accessToken="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("the sign-in of {email} set no accessToken"))
}

/// The `Stripe-Signature` of a Stripe webhook sample's body (`sample`),
/// signed now with the local `secret` of its endpoint (Stripe signs each
/// delivery at its time, and the webhook takes five minutes of tolerance).
fn stripe_sample_signature(
    ctx: &AppState,
    sample: &str,
    secret: pc_platform::config::Secret,
) -> Result<String, String> {
    use base64::Engine;
    let path = crate::events_dir().join(sample);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let event: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let body = base64::engine::general_purpose::STANDARD
        .decode(event["body"].as_str().unwrap_or_default())
        .map_err(|e| format!("the Stripe webhook sample's body is not base64: {e}"))?;
    let secret = ctx
        .config
        .secrets
        .current(secret)
        .map_err(|e| e.to_string())?;
    Ok(pc_platform::payments::signature::sign(
        &secret,
        ctx.clock.now().timestamp(),
        &body,
    ))
}

/// The boundary of the sample imports' multipart bodies.
pub const IMPORT_BOUNDARY: &str = "sample-boundary";

/// A one-row CSV import for `partner_id`: (content type, body).
fn multipart_import(partner_id: &str) -> (String, String) {
    let body = format!(
        "--{IMPORT_BOUNDARY}\r\nContent-Disposition: form-data; name=\"partnerId\"\r\n\r\n\
         {partner_id}\r\n--{IMPORT_BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\nemail,first name,last name,company\r\n\
         jane@acme.example,Jane,Doe,Acme\r\n--{IMPORT_BOUNDARY}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={IMPORT_BOUNDARY}"),
        body,
    )
}
