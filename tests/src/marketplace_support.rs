//! Seeding and helpers for the marketplace scenarios: partners with an ICP
//! and signed-in admins, sellers whose Stripe Connect account can take
//! charges (written through the same store function the Connect
//! capability uses), and leads with the fields the ICP match reads.

use std::collections::BTreeMap;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use pc_accounts::stripe_connect::{connect_state, first_state_write, state_update};
use pc_http::identity::Role;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{Contact, LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_platform::payments::ConnectedAccount;
use pc_platform::store::{Update, Write};

use crate::leads_support::{PASSWORD, seed_partner, signed_in_user};
use crate::{TestApp, expect_json};

/// A partner of the marketplace and a signed-in admin of it.
pub struct Agency {
    pub id: String,
    pub admin: Client,
    pub admin_email: String,
}

/// An active partner with `icp` (may be empty) and a signed-in admin.
pub async fn agency(app: &TestApp, name: &str, icp: &[(&str, &str)]) -> Agency {
    let id = seed_partner(app, name, &[]).await;
    if !icp.is_empty() {
        let icp: BTreeMap<String, String> = icp
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let update = Update::new(pc_http::identity::partner_key(&id))
            .set("icp", serde_json::to_value(icp).unwrap());
        app.server
            .context
            .store
            .update(update)
            .await
            .expect("icp stored");
    }
    let (admin, admin_email) = signed_in_user(app, Some(&id), Role::Admin).await;
    Agency {
        id,
        admin,
        admin_email,
    }
}

/// Signs `agency`'s admin in again (after the clock moved past its token).
pub async fn sign_in_again(app: &TestApp, agency: &Agency) {
    let response = app
        .sign_in_as(&agency.admin, &agency.admin_email, PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Records that `partner_id`'s Stripe Connect account can (or cannot) take charges.
pub async fn connect(app: &TestApp, partner_id: &str, charges_enabled: bool) {
    let ctx = &app.server.context;
    let account = ConnectedAccount {
        id: format!("acct_{}", partner_id.to_lowercase()),
        details_submitted: charges_enabled,
        charges_enabled,
        payouts_enabled: charges_enabled,
        metadata: Default::default(),
    };
    let now = ctx.clock.now();
    let known = connect_state(&*ctx.store, partner_id).await.unwrap();
    let write = match known {
        // As a later `account.updated` would move it.
        Some(_) => Write::Update(state_update(partner_id, &account, now.timestamp(), now)),
        None => first_state_write(partner_id, &account, now).unwrap(),
    };
    ctx.store
        .transact(vec![write])
        .await
        .expect("connect state stored");
}

/// A software lead of `partner_id`: US, 51–200 people, a CTO, with a phone.
pub async fn software_lead(app: &TestApp, partner_id: &str, email: &str) -> String {
    industry_lead(app, partner_id, email, "Software").await
}

/// The software lead's twin in another `industry`.
pub async fn industry_lead(app: &TestApp, partner_id: &str, email: &str, industry: &str) -> String {
    let ctx = &app.server.context;
    let id = ctx.ids.new_id();
    let mut lead = LeadRecord::new(
        id.clone(),
        partner_id.to_owned(),
        LeadEmail::parse(email).unwrap(),
        LeadSource::Manual,
        ctx.clock.now(),
    );
    lead.contact = Contact {
        first_name: Some("Jane".into()),
        last_name: Some("Doe".into()),
        company: Some("Acme Robotics".into()),
        phone: Some("+1 (555) 123-1234".into()),
        title: Some("CTO".into()),
        website: Some("acme.example".into()),
        country: Some("US".into()),
        industry: Some(industry.into()),
        company_size: Some("51-200".into()),
    };
    leads_store::create(ctx.store.as_ref(), &lead)
        .await
        .expect("lead stored");
    id
}

/// The ICP of a buyer the software lead fits completely.
pub const SOFTWARE_ICP: &[(&str, &str)] = &[
    ("industry", "Software, SaaS"),
    ("companySize", "11-200"),
    ("country", "US"),
    ("title", "CTO, VP Engineering"),
];

/// A request of `client` with an optional JSON body.
pub async fn call(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    app.send(client, method, path, body.as_ref()).await
}

/// Lists `lead_id` at `price` dollars as `seller`; asserts the 200.
pub async fn list(app: &TestApp, seller: &Agency, lead_id: &str, price: f64) -> Value {
    let path = format!("/v1/marketplace/leads/{lead_id}/list");
    let response = call(
        app,
        &seller.admin,
        Method::POST,
        &path,
        Some(json!({"price": price})),
    )
    .await;
    expect_json(response, StatusCode::OK).await
}

/// Reserves `lead_id` for `days` as `buyer`; answers the response.
pub async fn reserve(
    app: &TestApp,
    buyer: &Client,
    lead_id: &str,
    days: Value,
) -> reqwest::Response {
    let path = format!("/v1/marketplace/leads/{lead_id}/reserve");
    call(app, buyer, Method::POST, &path, Some(json!({"days": days}))).await
}

/// The browse page of `client` with `query` (`?…` or empty), once the
/// system settled: browsing follows listing and ICP changes through the
/// browse index's queue, so the page shows every change made before it.
pub async fn browse(app: &TestApp, client: &Client, query: &str) -> Value {
    app.drain().await;
    let path = format!("/v1/marketplace/leads{query}");
    expect_json(
        call(app, client, Method::GET, &path, None).await,
        StatusCode::OK,
    )
    .await
}

/// The ids of a list's rows.
pub fn ids(list: &Value) -> Vec<String> {
    list["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}
