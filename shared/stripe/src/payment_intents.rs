//! Marketplace payment intents: the buyer charged, the platform's fee
//! kept, the rest sent to the seller's connected account.

use pc_platform::payments::{NewPaymentIntent, PaymentError, PaymentIntent};
use stripe::StripeRequest;
use stripe_core::payment_intent::{CreatePaymentIntent, CreatePaymentIntentTransferData};

use crate::failures::payment_error;
use crate::{USD, idempotent, port_metadata, stripe_metadata};

pub(crate) async fn create(
    client: &stripe::Client,
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
    let created = request
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    Ok(PaymentIntent {
        id: created.id.to_string(),
        status: created.status.as_str().to_owned(),
        amount_cents: created.amount,
        client_secret: created.client_secret,
        metadata: port_metadata(created.metadata),
    })
}
