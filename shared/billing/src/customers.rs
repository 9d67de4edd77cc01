//! The partner's Stripe customer, made once: the first charge creates it
//! (idempotency key `customer:<partnerId>`) and stores its id on the
//! partner's billing configuration, where every later charge finds it.

use pc_accounts::billing_config::{BillingConfig, get_billing_config, keep_stripe_customer};
use pc_accounts::partners_store::get_partner;
use pc_platform::AppContext;
use pc_platform::payments::NewCustomer;

use crate::BillingError;

/// The partner's billing configuration; charging needs one.
pub async fn billing_config(
    ctx: &AppContext,
    partner_id: &str,
) -> Result<BillingConfig, BillingError> {
    get_billing_config(&*ctx.store, partner_id)
        .await?
        .ok_or(BillingError::NotConfigured)
}

/// The partner's Stripe customer id, creating the customer the first time.
pub async fn ensure_customer(
    ctx: &AppContext,
    config: &BillingConfig,
) -> Result<String, BillingError> {
    if let Some(id) = &config.stripe_customer_id {
        return Ok(id.clone());
    }
    let partner_id = &config.partner_id;
    let partner = get_partner(&*ctx.store, partner_id)
        .await?
        .ok_or(BillingError::PartnerNotFound)?;
    let customer = NewCustomer {
        name: partner.name.clone(),
        email: config.billing_email.clone(),
        metadata: [("partnerId".to_owned(), partner_id.clone())].into(),
    };
    let id = ctx
        .payments
        .create_customer(&customer, &format!("customer:{partner_id}"))
        .await?;
    if keep_stripe_customer(&*ctx.store, partner_id, &id).await? {
        return Ok(id);
    }
    // Another run stored it first: the same customer, by the key.
    Ok(billing_config(ctx, partner_id)
        .await?
        .stripe_customer_id
        .unwrap_or(id))
}
