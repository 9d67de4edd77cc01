//! The marketplace part of the sample world: a listed lead and a buying
//! partner's reservation, built apart because only the marketplace samples
//! need them.

use axum::Router;
use serde_json::json;

use pc_accounts::one_time_tokens::{self, Purpose};
use pc_http::AppState;

use super::{OWNER_PASSWORD, call};

/// The marketplace records of the samples: the sample partner can take
/// charges and lists the sample lead and two more; a buying partner's
/// admin (signed in) holds a reservation of the sample lead and has paid
/// for the third (a completed purchase, for the staff refund).
pub(super) struct MarketWorld {
    pub(super) buyer_access: String,
    pub(super) listed_lead_id: String,
    pub(super) reservation_id: String,
    pub(super) purchase_id: String,
}

impl MarketWorld {
    pub(super) async fn build(
        ctx: &AppState,
        app: &Router,
        token: Option<&str>,
        partner_id: &str,
        lead_id: &str,
    ) -> Result<Self, String> {
        let now = ctx.clock.now();
        // A real account of the local fake Stripe, onboarded, so the
        // Connect samples find it there too.
        let opened = ctx
            .payments
            .create_connected_account(
                &pc_platform::payments::NewConnectedAccount {
                    email: None,
                    metadata: Default::default(),
                },
                "sample-connect-account",
            )
            .await
            .map_err(|e| e.to_string())?;
        let stripe = ctx
            .payments
            .fake()
            .ok_or("the samples run on the fake Stripe")?;
        let connected = stripe
            .complete_onboarding(&opened.id)
            .await
            .map_err(|e| e.to_string())?;
        let write = pc_accounts::stripe_connect::first_state_write(partner_id, &connected, now)
            .map_err(|e| e.to_string())?;
        ctx.store
            .transact(vec![write])
            .await
            .map_err(|e| e.to_string())?;
        let lead = json!({"partnerId": partner_id, "email": "max@prospect.example",
            "company": "Prospect Labs", "industry": "Software", "country": "US"});
        let (listed, _) = call(app, "POST", "/v1/leads", token, Some(lead)).await?;
        let listed_lead_id = listed["id"].as_str().ok_or("no lead id")?.to_owned();
        let sold = json!({"partnerId": partner_id, "email": "sol@prospect.example",
            "company": "Sold Labs", "industry": "Software", "country": "US"});
        let (sold, _) = call(app, "POST", "/v1/leads", token, Some(sold)).await?;
        let sold_lead_id = sold["id"].as_str().ok_or("no lead id")?.to_owned();
        for id in [lead_id, listed_lead_id.as_str(), sold_lead_id.as_str()] {
            let path = format!("/v1/marketplace/leads/{id}/list");
            call(app, "POST", &path, token, Some(json!({"price": 250}))).await?;
        }
        let buyer = json!({"name": "Sample Buyer", "icp": {"industry": "Software"}});
        let (buyer, _) = call(app, "POST", "/v1/partners", token, Some(buyer)).await?;
        let buyer_id = buyer["id"].as_str().ok_or("no buyer partner id")?;
        let admin = json!({"email": "bo@sample-buyer.example", "name": "Bo",
            "role": "admin", "partnerId": buyer_id});
        let (admin, _) = call(app, "POST", "/v1/users", token, Some(admin)).await?;
        let admin_id = admin["id"].as_str().ok_or("no buyer admin id")?;
        let invitation = one_time_tokens::issue(Purpose::Invitation, admin_id, Some(buyer_id), now);
        ctx.store
            .transact(vec![invitation.write])
            .await
            .map_err(|e| e.to_string())?;
        let accept = json!({"token": invitation.secret, "name": "Bo", "password": OWNER_PASSWORD});
        let (_, cookies) = call(
            app,
            "POST",
            "/auth/complete-registration",
            None,
            Some(accept),
        )
        .await?;
        let buyer_access = cookies
            .iter()
            .find_map(|c| c.strip_prefix("accessToken="))
            .and_then(|c| c.split(';').next())
            .ok_or("the buyer's sign-in set no accessToken cookie")?
            .to_owned();
        let reserve = format!("/v1/marketplace/leads/{lead_id}/reserve");
        let (reservation, _) = call(
            app,
            "POST",
            &reserve,
            Some(&buyer_access),
            Some(json!({"days": 7})),
        )
        .await?;
        let purchase_id = buy(ctx, app, &buyer_access, &sold_lead_id).await?;
        Ok(Self {
            buyer_access,
            listed_lead_id,
            reservation_id: reservation["id"]
                .as_str()
                .ok_or("no reservation id")?
                .to_owned(),
            purchase_id,
        })
    }
}

/// The buyer reserves `lead_id` and pays: the purchase is made, the fake
/// Stripe's intent succeeds and its `payment_intent.succeeded` is applied
/// as the Stripe webhook worker would. Answers the completed purchase's id.
async fn buy(ctx: &AppState, app: &Router, buyer: &str, lead_id: &str) -> Result<String, String> {
    let reserve = format!("/v1/marketplace/leads/{lead_id}/reserve");
    let (reservation, _) =
        call(app, "POST", &reserve, Some(buyer), Some(json!({"days": 7}))).await?;
    let reservation_id = reservation["id"].as_str().ok_or("no reservation id")?;
    let body = json!({"reservationId": reservation_id, "paymentMethodId": "pm_card_visa"});
    let (purchase, _) = call(
        app,
        "POST",
        "/v1/marketplace/purchases",
        Some(buyer),
        Some(body),
    )
    .await?;
    let purchase_id = purchase["id"].as_str().ok_or("no purchase id")?.to_owned();
    let intent_id = purchase["paymentIntentId"]
        .as_str()
        .ok_or("no payment intent")?;
    let stripe = ctx
        .payments
        .fake()
        .ok_or("the samples run on the fake Stripe")?;
    stripe
        .succeed_payment_intent(intent_id)
        .await
        .map_err(|e| e.to_string())?;
    let intent = json!({"id": intent_id, "metadata": {"purchaseId": purchase_id}});
    let guard = json!({"pk": "SAMPLE#PAYMENT", "sk": "GUARD", "entity": "sample"});
    let guard = pc_platform::store::Write::put_new(guard.as_object().cloned().unwrap_or_default());
    pc_marketplace::purchase_payments::apply_payment_event(
        ctx,
        "payment_intent.succeeded",
        &intent,
        guard,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(purchase_id)
}
