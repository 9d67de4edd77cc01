//! Refunds of succeeded marketplace payments, in full: the charge is
//! marked refunded and, as asked, the seller's transfer reversed and the
//! platform's fee given back. Like Stripe, the fake refuses
//! `reverse_transfer` on a charge without a transfer,
//! `refund_application_fee` on one without a fee, an intent that has not
//! succeeded, and a charge already refunded; it sends `refund.created` and
//! `charge.refunded`. A fee given back is a `fee_refund` of the charge's
//! application fee, as Stripe records it (`fr_...`, `fee`, `amount`).

use serde_json::json;

use super::super::{CURRENCY, NewRefund, PaymentError};
use super::events::NewEvent;
use super::objects;
use super::{Change, FakeStripe, unavailable};

impl FakeStripe {
    pub(super) async fn plan_refund(&self, new: &NewRefund) -> Result<Change, PaymentError> {
        let intent = self
            .load_of("payment_intent", &new.payment_intent_id)
            .await?;
        let charge_id = intent.str("latest_charge").to_owned();
        if intent.str("status") != "succeeded" || charge_id.is_empty() {
            return Err(PaymentError::Refused(format!(
                "This PaymentIntent ({}) does not have a successful charge to refund.",
                new.payment_intent_id
            )));
        }
        let charge = self.load_of("charge", &charge_id).await?;
        if charge.object["refunded"] == true {
            return Err(PaymentError::Refused(format!(
                "Charge {charge_id} has already been refunded."
            )));
        }
        let transfer = charge.object["transfer"].as_str();
        if new.reverse_transfer && transfer.is_none() {
            return Err(PaymentError::Refused(format!(
                "The charge {charge_id} has no transfer to reverse (reverse_transfer)."
            )));
        }
        if new.refund_application_fee && charge.object["application_fee"].is_null() {
            return Err(PaymentError::Refused(format!(
                "The charge {charge_id} has no application fee to refund (refund_application_fee)."
            )));
        }
        if let Some(reason) = new.reason.as_deref()
            && !matches!(reason, "duplicate" | "fraudulent" | "requested_by_customer")
        {
            return Err(PaymentError::Refused(format!(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer ({reason})"
            )));
        }
        let now = self.now();
        let amount = charge.int("amount");
        let refund = json!({
            "id": self.new_id("re"), "object": "refund", "amount": amount,
            "balance_transaction": self.new_id("txn"), "charge": charge_id,
            "created": now, "currency": CURRENCY, "metadata": new.metadata,
            "payment_intent": new.payment_intent_id, "reason": new.reason,
            "receipt_number": null, "source_transfer_reversal": null, "status": "succeeded",
            "transfer_reversal": if new.reverse_transfer { json!(self.new_id("trr")) } else { json!(null) },
        });
        let mut refunded = charge.object.clone();
        refunded["refunded"] = true.into();
        refunded["amount_refunded"] = amount.into();
        let mut writes = vec![
            objects::create(refund.clone()).map_err(unavailable)?,
            charge.replace(refunded.clone()).map_err(unavailable)?,
        ];
        if new.refund_application_fee {
            let fee_refund = json!({
                "id": self.new_id("fr"), "object": "fee_refund",
                "amount": charge.object["application_fee_amount"],
                "balance_transaction": self.new_id("txn"), "created": now,
                "currency": CURRENCY, "fee": charge.object["application_fee"],
                "metadata": {},
            });
            writes.push(objects::create(fee_refund).map_err(unavailable)?);
        }
        Ok(Change {
            writes,
            events: vec![
                NewEvent::new(self.new_id("evt"), "refund.created", &refund, now),
                NewEvent::new(self.new_id("evt"), "charge.refunded", &refunded, now),
            ],
            answer: refund,
        })
    }
}
