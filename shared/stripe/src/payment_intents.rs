//! Marketplace payment intents: the buyer charged, the platform's fee
//! kept, the rest sent to the seller's connected account; canceled when
//! the reservation they pay for ended unpaid.

use pc_platform::payments::{Metadata, NewPaymentIntent, PaymentError, PaymentIntent};
use stripe_client_core::StripeRequest;
use stripe_core::payment_intent::{
    CancelPaymentIntent, CancelPaymentIntentCancellationReason, CreatePaymentIntent,
    CreatePaymentIntentTransferData,
};

use crate::client::StripeHttp;
use crate::{USD, idempotent, stripe_metadata};

/// What the port keeps of Stripe's payment intent.
#[derive(miniserde::Deserialize)]
struct Intent {
    id: String,
    status: String,
    amount: i64,
    client_secret: Option<String>,
    metadata: Metadata,
}

pub(crate) async fn create(
    client: &StripeHttp,
    intent: &NewPaymentIntent,
    key: &str,
) -> Result<PaymentIntent, PaymentError> {
    let mut request = CreatePaymentIntent::new(intent.amount_cents, USD)
        .description(intent.description.as_str())
        .metadata(stripe_metadata(&intent.metadata));
    if let Some(customer) = &intent.customer_id {
        request = request.customer(customer.as_str());
    }
    if let Some(method) = &intent.payment_method_id {
        request = request.payment_method(method.as_str());
    }
    if let Some(fee) = intent.application_fee_cents {
        request = request.application_fee_amount(fee);
    }
    if let Some(destination) = &intent.destination_account {
        request = request.transfer_data(CreatePaymentIntentTransferData::new(destination.as_str()));
    }
    let created: Intent = request
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(created.into())
}

/// Cancels an intent nobody will pay any more (`abandoned`).
pub(crate) async fn cancel(
    client: &StripeHttp,
    intent_id: &str,
    key: &str,
) -> Result<PaymentIntent, PaymentError> {
    let canceled: Intent = CancelPaymentIntent::new(intent_id)
        .cancellation_reason(CancelPaymentIntentCancellationReason::Abandoned)
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(canceled.into())
}

impl From<Intent> for PaymentIntent {
    fn from(intent: Intent) -> Self {
        Self {
            id: intent.id,
            status: intent.status,
            amount_cents: intent.amount,
            client_secret: intent.client_secret,
            metadata: intent.metadata,
        }
    }
}
