//! Marketplace payment intents: the buyer charged, the platform's fee
//! kept, the rest sent to the seller's connected account.

use pc_platform::payments::{Metadata, NewPaymentIntent, PaymentError, PaymentIntent};
use stripe_client_core::StripeRequest;
use stripe_core::payment_intent::{CreatePaymentIntent, CreatePaymentIntentTransferData};

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
    Ok(PaymentIntent {
        id: created.id,
        status: created.status,
        amount_cents: created.amount,
        client_secret: created.client_secret,
        metadata: created.metadata,
    })
}
