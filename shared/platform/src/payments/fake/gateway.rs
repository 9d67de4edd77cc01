//! The payment port as the fake answers it: each call names its operation
//! (for fault injection), runs its plan keyed or plain, and turns the
//! stored object into the port's type.

use async_trait::async_trait;
use futures::future::BoxFuture;
use serde_json::Value;

use super::super::{
    ConnectedAccount, NewAccountLink, NewConnectedAccount, NewCredit, NewCustomer, NewInvoice,
    NewInvoiceLine, NewPaymentIntent, NewRefund, PaymentError, PaymentGateway, PaymentIntent,
    Refund, StripeInvoice,
};
use super::{FakeStripe, Operation, objects};

fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_default().to_owned()
}

#[async_trait]
impl PaymentGateway for FakeStripe {
    async fn create_customer(
        &self,
        customer: &NewCustomer,
        key: &str,
    ) -> Result<String, PaymentError> {
        let op = Operation::CreateCustomer;
        let plan = || Box::pin(self.plan_customer(customer)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, customer, plan).await?))
        })
        .await
    }

    async fn create_invoice(
        &self,
        invoice: &NewInvoice,
        key: &str,
    ) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::CreateInvoice;
        let plan = || Box::pin(self.plan_invoice(invoice)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, invoice, plan).await?)
        })
        .await
    }

    async fn add_invoice_line(
        &self,
        line: &NewInvoiceLine,
        key: &str,
    ) -> Result<String, PaymentError> {
        let op = Operation::AddInvoiceLine;
        let plan = || Box::pin(self.plan_line(line)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, line, plan).await?))
        })
        .await
    }

    async fn finalize_invoice(&self, id: &str, key: &str) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::FinalizeInvoice;
        let plan = || Box::pin(self.plan_finalize(id)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, &id, plan).await?)
        })
        .await
    }

    async fn void_invoice(&self, id: &str, key: &str) -> Result<StripeInvoice, PaymentError> {
        let op = Operation::VoidInvoice;
        let plan = || Box::pin(self.plan_void(id)) as BoxFuture<_>;
        self.call(op, async {
            objects::stripe_invoice(&self.keyed(op, key, &id, plan).await?)
        })
        .await
    }

    async fn get_invoice(&self, id: &str) -> Result<StripeInvoice, PaymentError> {
        self.call(Operation::GetInvoice, async {
            objects::stripe_invoice(&self.load_of("invoice", id).await?.object)
        })
        .await
    }

    async fn credit_balance(&self, credit: &NewCredit, key: &str) -> Result<String, PaymentError> {
        let op = Operation::CreditBalance;
        let plan = || Box::pin(self.plan_credit(credit)) as BoxFuture<_>;
        self.call(op, async {
            Ok(id_of(&self.keyed(op, key, credit, plan).await?))
        })
        .await
    }

    async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let op = Operation::CreatePaymentIntent;
        self.call(op, async {
            // Stripe's test payment method whose charges are declined.
            if intent.payment_method_id.as_deref() == Some("pm_card_chargeDeclined") {
                return Err(PaymentError::Declined("Your card was declined.".into()));
            }
            let plan = || Box::pin(self.plan_intent(intent)) as BoxFuture<_>;
            Ok(objects::payment_intent(
                &self.keyed(op, key, intent, plan).await?,
            ))
        })
        .await
    }

    async fn cancel_payment_intent(
        &self,
        id: &str,
        key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let op = Operation::CancelPaymentIntent;
        let plan = || Box::pin(self.plan_cancel(id)) as BoxFuture<_>;
        self.call(op, async {
            Ok(objects::payment_intent(
                &self.keyed(op, key, &id, plan).await?,
            ))
        })
        .await
    }

    async fn refund_payment(&self, refund: &NewRefund, key: &str) -> Result<Refund, PaymentError> {
        let op = Operation::RefundPayment;
        let plan = || Box::pin(self.plan_refund(refund)) as BoxFuture<_>;
        self.call(op, async {
            Ok(objects::refund(&self.keyed(op, key, refund, plan).await?))
        })
        .await
    }

    async fn create_connected_account(
        &self,
        account: &NewConnectedAccount,
        key: &str,
    ) -> Result<ConnectedAccount, PaymentError> {
        let op = Operation::CreateConnectedAccount;
        let plan = || Box::pin(self.plan_account(account)) as BoxFuture<_>;
        self.call(op, async {
            Ok(ConnectedAccount::from_object(
                &self.keyed(op, key, account, plan).await?,
            ))
        })
        .await
    }

    async fn create_account_link(&self, link: &NewAccountLink) -> Result<String, PaymentError> {
        self.call(Operation::CreateAccountLink, self.link(link))
            .await
    }

    async fn get_connected_account(&self, id: &str) -> Result<ConnectedAccount, PaymentError> {
        self.call(Operation::GetConnectedAccount, async {
            Ok(ConnectedAccount::from_object(
                &self.load_of("account", id).await?.object,
            ))
        })
        .await
    }

    fn fake(&self) -> Option<&FakeStripe> {
        Some(self)
    }
}
