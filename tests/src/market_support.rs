//! Marketplace fixtures for black-box scenarios: a seller whose Stripe
//! account is connected (through the endpoints and the fake's onboarding),
//! its lead listed, and a buyer holding a reservation of it — all over
//! HTTP, as the SPA does it.

use pc_http::identity::Role;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::leads_support::{seed_partner, signed_in_user};
use crate::{TestApp, expect_json};

/// A partner with a signed-in admin.
pub struct Side {
    pub partner_id: String,
    pub admin: Client,
    pub admin_email: String,
}

pub async fn call(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: &Value,
) -> Response {
    app.send(client, method, path, Some(body)).await
}

/// `GET path` as `client`, which must answer 200; its JSON body.
pub async fn get_ok(app: &TestApp, client: &Client, path: &str) -> Value {
    expect_json(
        call(app, client, Method::GET, path, &json!({})).await,
        StatusCode::OK,
    )
    .await
}

/// A partner and its admin, without a Stripe account.
pub async fn partner(app: &TestApp, name: &str) -> Side {
    let partner_id = seed_partner(app, name, &[]).await;
    let (admin, admin_email) = signed_in_user(app, Some(&partner_id), Role::Admin).await;
    Side {
        partner_id,
        admin,
        admin_email,
    }
}

/// A seller whose connected account finished Stripe's onboarding.
pub async fn connected_seller(app: &TestApp, name: &str) -> Side {
    let seller = partner(app, name).await;
    let path = format!("/v1/partners/{}/stripe-connect", seller.partner_id);
    expect_json(
        call(app, &seller.admin, Method::POST, &path, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let complete = format!("/dev/stripe/connect/{}/complete", seller.partner_id);
    expect_json(app.post(&complete, &json!({})).await, StatusCode::OK).await;
    app.drain().await;
    seller
}

/// A lead of the seller with every contact field, listed at `price`
/// dollars; answers its id.
pub async fn listed_lead(app: &TestApp, seller: &Side, email: &str, price: u32) -> String {
    let lead = json!({
        "email": email, "firstName": "Jane", "lastName": "Buyable", "company": "Widget Works",
        "phone": "+1 (555) 010-1234", "title": "CTO", "website": "https://widget.example",
        "country": "US", "industry": "Software", "companySize": "51-200",
    });
    let created = expect_json(
        call(app, &seller.admin, Method::POST, "/v1/leads", &lead).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("a lead id").to_owned();
    let list = format!("/v1/marketplace/leads/{id}/list");
    expect_json(
        call(
            app,
            &seller.admin,
            Method::POST,
            &list,
            &json!({"price": price}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    id
}

/// The buyer reserves the lead for 7 days; answers the reservation's id.
pub async fn reserve(app: &TestApp, buyer: &Side, lead_id: &str) -> String {
    let path = format!("/v1/marketplace/leads/{lead_id}/reserve");
    let reservation = expect_json(
        call(app, &buyer.admin, Method::POST, &path, &json!({"days": 7})).await,
        StatusCode::CREATED,
    )
    .await;
    reservation["id"]
        .as_str()
        .expect("a reservation id")
        .to_owned()
}

/// `POST /v1/marketplace/purchases` as `client`.
pub async fn purchase(app: &TestApp, client: &Client, reservation_id: &str) -> Response {
    let body = json!({"reservationId": reservation_id, "paymentMethodId": "pm_card_visa"});
    call(
        app,
        client,
        Method::POST,
        "/v1/marketplace/purchases",
        &body,
    )
    .await
}

/// The payment intent as the fake Stripe holds it.
pub async fn stripe_intent(app: &TestApp, id: &str) -> Value {
    let fake = app.server.context.payments.fake().expect("the fake Stripe");
    fake.object(id)
        .await
        .unwrap()
        .expect("the payment intent exists")
}

/// A lead of `client`'s partner made through `POST /v1/leads` with `body`;
/// answers its id.
pub async fn create_lead(app: &TestApp, client: &Client, body: &Value) -> String {
    let created = expect_json(
        call(app, client, Method::POST, "/v1/leads", body).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().expect("a lead id").to_owned()
}

/// The buyer pays for its reservation: the purchase is made, the fake
/// Stripe's intent succeeds and the system settles; answers the intent id.
pub async fn pay(app: &TestApp, buyer: &Side, reservation_id: &str) -> String {
    let started = expect_json(
        purchase(app, &buyer.admin, reservation_id).await,
        StatusCode::CREATED,
    )
    .await;
    let intent = started["paymentIntentId"]
        .as_str()
        .expect("a payment intent")
        .to_owned();
    let succeed = format!("/dev/stripe/payment-intents/{intent}/succeed");
    expect_json(app.post(&succeed, &json!({})).await, StatusCode::OK).await;
    app.drain().await;
    intent
}

/// The buyer reserves `lead_id`, pays, and Stripe confirms the payment;
/// once everything settled, answers the payment intent's id.
pub async fn buy(app: &TestApp, buyer: &Side, lead_id: &str) -> String {
    let reservation = reserve(app, buyer, lead_id).await;
    pay(app, buyer, &reservation).await
}

/// The marketplace status of the seller's first listing.
pub async fn listing_status(app: &TestApp, seller: &Side) -> String {
    let mine = get_ok(app, &seller.admin, "/v1/marketplace/my-listings").await;
    mine["list"][0]["marketplaceStatus"]
        .as_str()
        .expect("a listing")
        .to_owned()
}
