//! Refunds in full of marketplace payments: a late payment for a lead that
//! can no longer be delivered, or a purchase staff settled. The seller's
//! transfer and the platform's fee are taken back only where the charge had
//! them (Stripe refuses the flags otherwise).

use pc_platform::payments::{NewRefund, PaymentError, Refund};
use stripe_client_core::StripeRequest;
use stripe_core::refund::{CreateRefund, CreateRefundReason};

use crate::client::StripeHttp;
use crate::{idempotent, stripe_metadata};

/// What the port keeps of Stripe's refund.
#[derive(miniserde::Deserialize)]
struct Refunded {
    id: String,
    status: Option<String>,
    amount: i64,
}

pub(crate) async fn create(
    client: &StripeHttp,
    refund: &NewRefund,
    key: &str,
) -> Result<Refund, PaymentError> {
    let mut request = CreateRefund::new()
        .payment_intent(refund.payment_intent_id.as_str())
        .metadata(stripe_metadata(&refund.metadata));
    if refund.reverse_transfer {
        request = request.reverse_transfer(true);
    }
    if refund.refund_application_fee {
        request = request.refund_application_fee(true);
    }
    if let Some(reason) = &refund.reason {
        let reason = match reason.as_str() {
            "duplicate" => CreateRefundReason::Duplicate,
            "fraudulent" => CreateRefundReason::Fraudulent,
            "requested_by_customer" => CreateRefundReason::RequestedByCustomer,
            other => {
                return Err(PaymentError::Refused(format!(
                    "{other} is not a refund reason Stripe knows"
                )));
            }
        };
        request = request.reason(reason);
    }
    let made: Refunded = request
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(Refund {
        id: made.id,
        status: made.status.unwrap_or_default(),
        amount_cents: made.amount,
    })
}
