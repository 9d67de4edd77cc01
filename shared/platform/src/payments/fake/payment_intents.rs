//! Payment intents of the marketplace: made when a buyer pays, confirmed
//! (through the dev routes) to `succeeded`, which Stripe announces with
//! `payment_intent.succeeded`, or failed (the card declined at
//! confirmation): back to `requires_payment_method` with
//! `payment_intent.payment_failed`.

use serde_json::json;

use super::super::{CURRENCY, NewPaymentIntent, PaymentError, PaymentIntent};
use super::events::NewEvent;
use super::objects;
use super::{Change, FakeStripe, unavailable};

impl FakeStripe {
    /// The buyer confirms a payment intent and it succeeds.
    pub async fn succeed_payment_intent(&self, id: &str) -> Result<PaymentIntent, PaymentError> {
        let intent = self.unkeyed(|| Box::pin(self.plan_succeed(id))).await?;
        Ok(objects::payment_intent(&intent))
    }

    /// The buyer's confirmation is declined.
    pub async fn fail_payment_intent(&self, id: &str) -> Result<PaymentIntent, PaymentError> {
        let intent = self
            .unkeyed(|| Box::pin(self.plan_intent_failed(id)))
            .await?;
        Ok(objects::payment_intent(&intent))
    }

    pub(super) async fn plan_intent(&self, new: &NewPaymentIntent) -> Result<Change, PaymentError> {
        // Stripe's smallest charge in dollars.
        if new.amount_cents < 50 {
            return Err(PaymentError::Refused(
                "Amount must be at least $0.50 usd".into(),
            ));
        }
        let id = self.new_id("pi");
        let status = if new.payment_method_id.is_some() {
            "requires_confirmation"
        } else {
            "requires_payment_method"
        };
        let object = json!({
            "id": id, "object": "payment_intent", "amount": new.amount_cents,
            "amount_received": 0, "currency": CURRENCY, "customer": new.customer_id,
            "payment_method": new.payment_method_id,
            "application_fee_amount": new.application_fee_cents,
            "transfer_data": new.destination_account.as_ref().map(|d| json!({"destination": d})),
            "description": new.description, "metadata": new.metadata, "status": status,
            "client_secret": format!("{id}_secret_{}", ulid::Ulid::new()),
            "created": self.now(), "livemode": false,
        });
        Ok(Change {
            writes: vec![objects::create(object.clone()).map_err(unavailable)?],
            answer: object,
            events: Vec::new(),
        })
    }

    pub(super) async fn plan_succeed(&self, id: &str) -> Result<Change, PaymentError> {
        let intent = self.load_of("payment_intent", id).await?;
        let status = intent.str("status");
        if matches!(status, "succeeded" | "canceled") {
            return Err(PaymentError::Refused(format!(
                "This PaymentIntent's status is {status}; it cannot be confirmed"
            )));
        }
        let mut updated = intent.object.clone();
        updated["status"] = "succeeded".into();
        updated["amount_received"] = intent.object["amount"].clone();
        let now = self.now();
        Ok(Change {
            writes: vec![intent.replace(updated.clone()).map_err(unavailable)?],
            events: vec![NewEvent::new(
                self.new_id("evt"),
                "payment_intent.succeeded",
                &updated,
                now,
            )],
            answer: updated,
        })
    }

    async fn plan_intent_failed(&self, id: &str) -> Result<Change, PaymentError> {
        let intent = self.load_of("payment_intent", id).await?;
        let status = intent.str("status");
        if matches!(status, "succeeded" | "canceled") {
            return Err(PaymentError::Refused(format!(
                "This PaymentIntent's status is {status}; it cannot be confirmed"
            )));
        }
        let mut updated = intent.object.clone();
        updated["status"] = "requires_payment_method".into();
        updated["last_payment_error"] = json!({
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined.",
        });
        let now = self.now();
        Ok(Change {
            writes: vec![intent.replace(updated.clone()).map_err(unavailable)?],
            events: vec![NewEvent::new(
                self.new_id("evt"),
                "payment_intent.payment_failed",
                &updated,
                now,
            )],
            answer: updated,
        })
    }
}
