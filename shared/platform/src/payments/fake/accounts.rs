//! Sellers' connected accounts (Express). An account is made with nothing
//! enabled; the seller fills in Stripe's hosted onboarding through an
//! account link, which the fake stands in for with
//! [`FakeStripe::complete_onboarding`]: details submitted, charges and
//! payouts enabled, and `account.updated` sent, as Stripe does.

use serde_json::json;

use super::super::{ConnectedAccount, NewAccountLink, NewConnectedAccount, PaymentError};
use super::events::NewEvent;
use super::objects;
use super::{Change, FakeStripe, unavailable};

impl FakeStripe {
    /// The seller finishes the onboarding form of `account_id`: everything
    /// is enabled and `account.updated` is sent.
    pub async fn complete_onboarding(
        &self,
        account_id: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        let account = self
            .unkeyed(|| Box::pin(self.plan_onboarded(account_id)))
            .await?;
        Ok(ConnectedAccount::from_object(&account))
    }

    pub(super) async fn plan_account(
        &self,
        new: &NewConnectedAccount,
    ) -> Result<Change, PaymentError> {
        let object = json!({
            "id": self.new_id("acct"), "object": "account", "type": "express",
            "email": new.email, "metadata": new.metadata, "country": "US",
            "default_currency": super::super::CURRENCY,
            "details_submitted": false, "charges_enabled": false, "payouts_enabled": false,
            "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
            "created": self.now(),
        });
        Ok(Change {
            writes: vec![objects::create(object.clone()).map_err(unavailable)?],
            answer: object,
            events: Vec::new(),
        })
    }

    pub(super) async fn link(&self, link: &NewAccountLink) -> Result<String, PaymentError> {
        self.load_of("account", &link.account_id).await?;
        for (name, url) in [
            ("refresh_url", &link.refresh_url),
            ("return_url", &link.return_url),
        ] {
            if url::Url::parse(url).is_err() {
                return Err(PaymentError::Refused(format!("Invalid URL: {name}")));
            }
        }
        // Stripe's hosted form; the dev route completes it instead.
        Ok(format!(
            "https://connect.stripe.com/setup/e/{}/{}",
            link.account_id,
            ulid::Ulid::new()
        ))
    }

    async fn plan_onboarded(&self, account_id: &str) -> Result<Change, PaymentError> {
        let account = self.load_of("account", account_id).await?;
        let mut updated = account.object.clone();
        updated["details_submitted"] = true.into();
        updated["charges_enabled"] = true.into();
        updated["payouts_enabled"] = true.into();
        updated["capabilities"] = json!({"card_payments": "active", "transfers": "active"});
        let event = NewEvent::connect(
            self.new_id("evt"),
            "account.updated",
            account_id,
            &updated,
            self.now(),
        );
        Ok(Change {
            writes: vec![account.replace(updated.clone()).map_err(unavailable)?],
            events: vec![event],
            answer: updated,
        })
    }
}
