//! The adapter of a port a function was not given: a Lambda builds only
//! the clients its permissions grant, AWS, Stripe and HubSpot (so the others are not
//! even linked into its binary), and every other port is this adapter, which
//! refuses each call with an error naming the missing grant. Reaching it is
//! a wrong `Permissions` entry in the function table, never a user error.

use async_trait::async_trait;

use crate::bus::{BusError, BusEvent, EventBus};
use crate::crm::{
    AccessToken, AuthorizeRequest, BatchOutcome, ContactUpsert, CrmClient, CrmError, DealContact,
    DealSearch, NewObject, NewPipeline, OAuthTokens, ObjectType, ObjectUpdate, Pipeline,
    RefreshToken, SearchPage, TokenInfo,
};
use crate::email::{EmailError, EmailSender, OutgoingEmail};
use crate::objects::{ObjectError, ObjectStore};
use crate::payments::{
    ConnectedAccount, NewAccountLink, NewConnectedAccount, NewCredit, NewCustomer, NewInvoice,
    NewInvoiceLine, NewPaymentIntent, NewRefund, PaymentError, PaymentGateway, PaymentIntent,
    Refund, StripeInvoice,
};
use crate::queue::{DeadLetter, Queue, QueueError, QueueName};
use crate::realtime::{ConnectionPush, PushError};
use crate::store::{Condition, Item, Key, Page, Query, Store, StoreError, Update, Write};

/// A port the function's permissions do not grant.
#[derive(Clone, Copy, Debug, Default)]
pub struct NotGranted;

impl NotGranted {
    fn refusal(port: &str, grant: &str) -> String {
        format!("this function has no {port}: its Permissions in the function table lack {grant}")
    }

    fn store_error() -> StoreError {
        StoreError::Backend(Self::refusal("table access", "the table"))
    }

    fn queue_error() -> QueueError {
        QueueError::Backend(Self::refusal("queue access", "the queue in `sends`"))
    }
}

#[async_trait]
impl Store for NotGranted {
    async fn get(&self, _: &Key) -> Result<Option<Item>, StoreError> {
        Err(Self::store_error())
    }
    async fn batch_get(&self, _: &[Key]) -> Result<Vec<Item>, StoreError> {
        Err(Self::store_error())
    }
    async fn put(&self, _: Item, _: Option<Condition>) -> Result<(), StoreError> {
        Err(Self::store_error())
    }
    async fn update(&self, _: Update) -> Result<Item, StoreError> {
        Err(Self::store_error())
    }
    async fn delete(&self, _: &Key, _: Option<Condition>) -> Result<(), StoreError> {
        Err(Self::store_error())
    }
    async fn transact(&self, _: Vec<Write>) -> Result<(), StoreError> {
        Err(Self::store_error())
    }
    async fn query(&self, _: &Query) -> Result<Page, StoreError> {
        Err(Self::store_error())
    }
}

#[async_trait]
impl Queue for NotGranted {
    async fn send_delayed(
        &self,
        _: QueueName,
        _: &str,
        _: std::time::Duration,
    ) -> Result<(), QueueError> {
        Err(Self::queue_error())
    }
    async fn dead_letters(&self, _: QueueName, _: usize) -> Result<Vec<DeadLetter>, QueueError> {
        Err(Self::queue_error())
    }
    async fn dead_letter(&self, _: QueueName, _: &str, _: &str) -> Result<(), QueueError> {
        Err(Self::queue_error())
    }
    async fn redrive(&self, _: QueueName) -> Result<usize, QueueError> {
        Err(Self::queue_error())
    }
}

#[async_trait]
impl EmailSender for NotGranted {
    async fn send(&self, _: &OutgoingEmail) -> Result<String, EmailError> {
        Err(EmailError::Backend(Self::refusal(
            "email sending",
            "`email()`",
        )))
    }
}

#[async_trait]
impl ConnectionPush for NotGranted {
    async fn push(&self, _: &str, _: &str) -> Result<(), PushError> {
        Err(PushError::Failed(Self::refusal(
            "WebSocket connections",
            "`pushes()`",
        )))
    }
}

#[async_trait]
impl EventBus for NotGranted {
    async fn publish(&self, _: &[BusEvent]) -> Result<(), BusError> {
        Err(BusError(Self::refusal("event bus", "`events()`")))
    }
}

#[async_trait]
impl ObjectStore for NotGranted {
    async fn presign_put(
        &self,
        _: &str,
        _: Option<&str>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, ObjectError> {
        Err(Self::objects_error())
    }
    async fn get(&self, _: &str, _: usize) -> Result<Option<Vec<u8>>, ObjectError> {
        Err(Self::objects_error())
    }
    async fn delete(&self, _: &str) -> Result<(), ObjectError> {
        Err(Self::objects_error())
    }
}

impl NotGranted {
    fn objects_error() -> ObjectError {
        ObjectError::Backend(Self::refusal("uploads bucket", "`uploads()`"))
    }
}

impl NotGranted {
    fn payments_error<T>() -> Result<T, PaymentError> {
        // Refused, not retryable: no retry can grant the port.
        Err(PaymentError::Refused(Self::refusal(
            "Stripe access",
            "`payments()`",
        )))
    }
}

#[async_trait]
impl PaymentGateway for NotGranted {
    async fn create_customer(&self, _: &NewCustomer, _: &str) -> Result<String, PaymentError> {
        Self::payments_error()
    }
    async fn create_invoice(&self, _: &NewInvoice, _: &str) -> Result<StripeInvoice, PaymentError> {
        Self::payments_error()
    }
    async fn add_invoice_line(&self, _: &NewInvoiceLine, _: &str) -> Result<String, PaymentError> {
        Self::payments_error()
    }
    async fn finalize_invoice(&self, _: &str, _: &str) -> Result<StripeInvoice, PaymentError> {
        Self::payments_error()
    }
    async fn void_invoice(&self, _: &str, _: &str) -> Result<StripeInvoice, PaymentError> {
        Self::payments_error()
    }
    async fn get_invoice(&self, _: &str) -> Result<StripeInvoice, PaymentError> {
        Self::payments_error()
    }
    async fn credit_balance(&self, _: &NewCredit, _: &str) -> Result<String, PaymentError> {
        Self::payments_error()
    }
    async fn create_payment_intent(
        &self,
        _: &NewPaymentIntent,
        _: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        Self::payments_error()
    }
    async fn cancel_payment_intent(&self, _: &str, _: &str) -> Result<PaymentIntent, PaymentError> {
        Self::payments_error()
    }
    async fn refund_payment(&self, _: &NewRefund, _: &str) -> Result<Refund, PaymentError> {
        Self::payments_error()
    }
    async fn create_connected_account(
        &self,
        _: &NewConnectedAccount,
        _: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        Self::payments_error()
    }
    async fn create_account_link(&self, _: &NewAccountLink) -> Result<String, PaymentError> {
        Self::payments_error()
    }
    async fn get_connected_account(&self, _: &str) -> Result<ConnectedAccount, PaymentError> {
        Self::payments_error()
    }
}

impl NotGranted {
    fn crm_error<T>() -> Result<T, CrmError> {
        // Refused, not retryable: no retry can grant the port.
        Err(CrmError::Refused(Self::refusal(
            "HubSpot access",
            "`crm()`",
        )))
    }
}

#[async_trait]
impl CrmClient for NotGranted {
    fn authorize_url(&self, _: &AuthorizeRequest<'_>) -> String {
        String::new()
    }
    async fn exchange_code(&self, _: &str, _: &str) -> Result<OAuthTokens, CrmError> {
        Self::crm_error()
    }
    async fn refresh(&self, _: &RefreshToken) -> Result<OAuthTokens, CrmError> {
        Self::crm_error()
    }
    async fn token_info(&self, _: &AccessToken) -> Result<TokenInfo, CrmError> {
        Self::crm_error()
    }
    async fn list_pipelines(&self, _: &AccessToken) -> Result<Vec<Pipeline>, CrmError> {
        Self::crm_error()
    }
    async fn create_pipeline(
        &self,
        _: &AccessToken,
        _: &NewPipeline,
    ) -> Result<Pipeline, CrmError> {
        Self::crm_error()
    }
    async fn batch_read(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[String],
        _: &[String],
    ) -> Result<BatchOutcome, CrmError> {
        Self::crm_error()
    }
    async fn batch_create(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[NewObject],
    ) -> Result<BatchOutcome, CrmError> {
        Self::crm_error()
    }
    async fn batch_update(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[ObjectUpdate],
    ) -> Result<BatchOutcome, CrmError> {
        Self::crm_error()
    }
    async fn batch_upsert_contacts(
        &self,
        _: &AccessToken,
        _: &[ContactUpsert],
    ) -> Result<BatchOutcome, CrmError> {
        Self::crm_error()
    }
    async fn search_modified_since(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: i64,
        _: &[String],
        _: Option<&str>,
        _: usize,
    ) -> Result<SearchPage, CrmError> {
        Self::crm_error()
    }
    async fn associate_deals_with_contacts(
        &self,
        _: &AccessToken,
        _: &[DealContact],
    ) -> Result<(), CrmError> {
        Self::crm_error()
    }
    async fn search_deals(&self, _: &AccessToken, _: &DealSearch) -> Result<SearchPage, CrmError> {
        Self::crm_error()
    }
    async fn deal_contacts(
        &self,
        _: &AccessToken,
        _: &[String],
    ) -> Result<Vec<DealContact>, CrmError> {
        Self::crm_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_names_the_missing_grant() {
        let store = Store::get(&NotGranted, &Key::new("P", "S"))
            .await
            .unwrap_err();
        assert!(store.to_string().contains("table"), "{store}");
        let queue = Queue::send(&NotGranted, QueueName::Emails, "{}")
            .await
            .unwrap_err();
        assert!(queue.to_string().contains("sends"), "{queue}");
        let bus = NotGranted.publish(&[]).await.unwrap_err();
        assert!(bus.to_string().contains("events()"), "{bus}");
        let payments = NotGranted.get_invoice("in_1").await.unwrap_err();
        assert!(payments.to_string().contains("payments()"), "{payments}");
        assert!(!payments.is_retryable());
        let crm = NotGranted
            .list_pipelines(&AccessToken::new("t"))
            .await
            .unwrap_err();
        assert!(crm.to_string().contains("crm()"), "{crm}");
    }
}
