//! Payment intents of the marketplace: made when a buyer pays, confirmed
//! (through the dev routes) to `succeeded`, which Stripe announces with
//! `payment_intent.succeeded` (its charge made, with the transfer to the
//! seller and the application fee where the intent asked for them), or
//! failed (the card declined at confirmation): back to
//! `requires_payment_method` with `payment_intent.payment_failed`. One
//! that has not succeeded can be canceled (`payment_intent.canceled`) and
//! can no longer be confirmed.

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
        let now = self.now();
        let charge = self.charge_of(&intent.object, now);
        let mut updated = intent.object.clone();
        updated["status"] = "succeeded".into();
        updated["amount_received"] = intent.object["amount"].clone();
        updated["latest_charge"] = charge["id"].clone();
        Ok(Change {
            writes: vec![
                intent.replace(updated.clone()).map_err(unavailable)?,
                objects::create(charge).map_err(unavailable)?,
            ],
            events: vec![NewEvent::new(
                self.new_id("evt"),
                "payment_intent.succeeded",
                &updated,
                now,
            )],
            answer: updated,
        })
    }

    /// The captured charge of a succeeding intent, as Stripe shows it:
    /// with a destination, the transfer to it and the application fee.
    fn charge_of(&self, intent: &serde_json::Value, now: i64) -> serde_json::Value {
        let destination = intent["transfer_data"]["destination"].as_str();
        let fee = intent["application_fee_amount"].as_i64();
        json!({
            "id": self.new_id("ch"), "object": "charge", "amount": intent["amount"],
            "amount_captured": intent["amount"], "amount_refunded": 0,
            "application_fee": fee.map(|_| self.new_id("fee")),
            "application_fee_amount": fee, "captured": true, "currency": CURRENCY,
            "customer": intent["customer"], "description": intent["description"],
            "metadata": intent["metadata"], "paid": true, "payment_intent": intent["id"],
            "payment_method": intent["payment_method"], "refunded": false,
            "status": "succeeded", "transfer": destination.map(|_| self.new_id("tr")),
            "transfer_data": intent["transfer_data"], "created": now, "livemode": false,
        })
    }

    /// Stripe cancels an intent in any state but `succeeded` and `canceled`.
    pub(super) async fn plan_cancel(&self, id: &str) -> Result<Change, PaymentError> {
        let intent = self.load_of("payment_intent", id).await?;
        let status = intent.str("status");
        if matches!(status, "succeeded" | "canceled") {
            return Err(PaymentError::Refused(format!(
                "You cannot cancel this PaymentIntent because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
            )));
        }
        let now = self.now();
        let mut updated = intent.object.clone();
        updated["status"] = "canceled".into();
        updated["canceled_at"] = now.into();
        updated["cancellation_reason"] = "abandoned".into();
        Ok(Change {
            writes: vec![intent.replace(updated.clone()).map_err(unavailable)?],
            events: vec![NewEvent::new(
                self.new_id("evt"),
                "payment_intent.canceled",
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
