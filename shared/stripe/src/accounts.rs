//! Sellers' connected accounts (Stripe Connect, Express): created once per
//! seller, onboarded on Stripe's hosted form through account links, read
//! back for what Stripe has enabled.

use pc_platform::payments::{
    ConnectedAccount, Metadata, NewAccountLink, NewConnectedAccount, PaymentError,
};
use stripe_client_core::StripeRequest;
use stripe_connect::account::{CreateAccount, CreateAccountType, RetrieveAccount};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};

use crate::client::StripeHttp;
use crate::{idempotent, stripe_metadata};

/// What the port keeps of Stripe's account.
#[derive(miniserde::Deserialize)]
struct Account {
    id: String,
    details_submitted: Option<bool>,
    charges_enabled: Option<bool>,
    payouts_enabled: Option<bool>,
    metadata: Option<Metadata>,
}

#[derive(miniserde::Deserialize)]
struct AccountLink {
    url: String,
}

/// Creates an Express account; answers it as Stripe made it (nothing
/// enabled before the seller's onboarding).
pub(crate) async fn create(
    client: &StripeHttp,
    account: &NewConnectedAccount,
    key: &str,
) -> Result<ConnectedAccount, PaymentError> {
    let mut request = CreateAccount::new()
        .type_(CreateAccountType::Express)
        .metadata(stripe_metadata(&account.metadata));
    if let Some(email) = &account.email {
        request = request.email(email.as_str());
    }
    let created: Account = request
        .build()
        .customize()
        .request_strategy(idempotent(key)?)
        .send(client)
        .await?;
    Ok(port_account(created))
}

/// A new onboarding link of the account; answers its URL. Links are
/// single-use and expire within minutes, so no idempotency key: a retry
/// makes another valid link.
pub(crate) async fn link(
    client: &StripeHttp,
    link: &NewAccountLink,
) -> Result<String, PaymentError> {
    let created: AccountLink = CreateAccountLink::new(
        link.account_id.as_str(),
        CreateAccountLinkType::AccountOnboarding,
    )
    .refresh_url(link.refresh_url.as_str())
    .return_url(link.return_url.as_str())
    .build()
    .customize()
    .send(client)
    .await?;
    Ok(created.url)
}

pub(crate) async fn get(
    client: &StripeHttp,
    account_id: &str,
) -> Result<ConnectedAccount, PaymentError> {
    let account: Account = RetrieveAccount::new(account_id)
        .build()
        .customize()
        .send(client)
        .await?;
    Ok(port_account(account))
}

/// Stripe leaves the flags out of an account it shows only in part; an
/// absent flag is not enabled.
fn port_account(account: Account) -> ConnectedAccount {
    ConnectedAccount {
        id: account.id,
        details_submitted: account.details_submitted.unwrap_or(false),
        charges_enabled: account.charges_enabled.unwrap_or(false),
        payouts_enabled: account.payouts_enabled.unwrap_or(false),
        metadata: account.metadata.unwrap_or_default(),
    }
}
