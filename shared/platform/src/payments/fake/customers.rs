//! Customers and their credit balance. As at Stripe, a negative balance is
//! credit the customer's next invoices use up when they are finalized.

use super::super::{NewCredit, NewCustomer, PaymentError};
use super::objects::{self, balance_transaction};
use super::{Change, FakeStripe, unavailable};

impl FakeStripe {
    pub(super) async fn plan_customer(&self, new: &NewCustomer) -> Result<Change, PaymentError> {
        let id = self.new_id("cus");
        let object = objects::customer(
            &id,
            &new.name,
            new.email.as_deref(),
            &new.metadata,
            self.now(),
        );
        Ok(Change {
            writes: vec![objects::create(object.clone()).map_err(unavailable)?],
            answer: object,
            events: Vec::new(),
        })
    }

    pub(super) async fn plan_credit(&self, credit: &NewCredit) -> Result<Change, PaymentError> {
        if credit.amount_cents <= 0 {
            return Err(PaymentError::Refused(
                "a credit must be a positive amount".into(),
            ));
        }
        let customer = self.load_of("customer", &credit.customer_id).await?;
        let balance = customer.int("balance") - credit.amount_cents;
        let transaction = balance_transaction(
            &self.new_id("cbtxn"),
            &credit.customer_id,
            -credit.amount_cents,
            "adjustment",
            balance,
            None,
            Some(&credit.description),
            &credit.metadata,
            self.now(),
        );
        let mut updated = customer.object.clone();
        updated["balance"] = balance.into();
        Ok(Change {
            writes: vec![
                objects::create(transaction.clone()).map_err(unavailable)?,
                customer.replace(updated).map_err(unavailable)?,
            ],
            answer: transaction,
            events: Vec::new(),
        })
    }
}
