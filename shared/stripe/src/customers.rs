//! Customers, and credit on their balance.

use pc_platform::payments::{NewCredit, NewCustomer, PaymentError};
use stripe_client_core::StripeRequest;
use stripe_core::customer::CreateCustomer;
use stripe_core::customer_balance_transaction::CreateCustomerCustomerBalanceTransaction;

use crate::client::StripeHttp;
use crate::{Created, USD, idempotent, stripe_metadata};

/// Creates the customer; answers its id (`cus_...`).
pub(crate) async fn create(
    client: &StripeHttp,
    customer: &NewCustomer,
    key: &str,
) -> Result<String, PaymentError> {
    let mut request = CreateCustomer::new()
        .name(customer.name.as_str())
        .metadata(stripe_metadata(&customer.metadata));
    if let Some(email) = &customer.email {
        request = request.email(email.as_str());
    }
    let created: Created = request
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(created.id)
}

/// Credits the customer's balance, which Stripe applies to the next
/// invoices. Stripe counts a credit as a negative balance transaction
/// (a positive one is a debit the customer owes).
pub(crate) async fn credit_balance(
    client: &StripeHttp,
    credit: &NewCredit,
    key: &str,
) -> Result<String, PaymentError> {
    if credit.amount_cents <= 0 {
        return Err(PaymentError::Refused(format!(
            "a credit must be positive, not {} cents",
            credit.amount_cents
        )));
    }
    let transaction: Created = CreateCustomerCustomerBalanceTransaction::new(
        credit.customer_id.as_str(),
        -credit.amount_cents,
        USD,
    )
    .description(credit.description.as_str())
    .metadata(stripe_metadata(&credit.metadata))
    .build()
    .customize()
    .request_strategy(idempotent(key)?)
    .send(client)
    .await?;
    Ok(transaction.id)
}
