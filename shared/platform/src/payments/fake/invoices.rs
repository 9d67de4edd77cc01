//! Invoices: a draft gathers lines (invoice items), finalizing makes it
//! open (numbered, credit applied, due in `days_until_due`), and then it is
//! paid, its payment fails (it stays open), or it is voided (open only;
//! the credit it used goes back to the customer). Each step Stripe
//! announces sends its event.

use serde_json::Value;

use super::super::{NewInvoice, NewInvoiceLine, PaymentError, StripeInvoice};
use super::events::NewEvent;
use super::objects::{self, Stored, balance_transaction};
use super::{Change, FakeStripe, unavailable};

fn refused(invoice: &Stored, wanted: &str) -> PaymentError {
    PaymentError::Refused(format!(
        "invoice {} is {}; {wanted}",
        invoice.str("id"),
        invoice.str("status")
    ))
}

impl FakeStripe {
    /// The customer pays an open invoice in full.
    pub async fn pay_invoice(&self, id: &str) -> Result<StripeInvoice, PaymentError> {
        let invoice = self.unkeyed(|| Box::pin(self.plan_pay(id))).await?;
        objects::stripe_invoice(&invoice)
    }

    /// A payment attempt of an open invoice fails; it stays open.
    pub async fn fail_invoice(&self, id: &str) -> Result<StripeInvoice, PaymentError> {
        let invoice = self.unkeyed(|| Box::pin(self.plan_fail(id))).await?;
        objects::stripe_invoice(&invoice)
    }

    fn event(&self, kind: &'static str, object: &Value) -> NewEvent {
        NewEvent::new(self.new_id("evt"), kind, object, self.now())
    }

    pub(super) async fn plan_invoice(&self, new: &NewInvoice) -> Result<Change, PaymentError> {
        self.load_of("customer", &new.customer_id).await?;
        let object = objects::draft_invoice(
            &self.new_id("in"),
            &new.customer_id,
            &new.description,
            new.days_until_due,
            &new.metadata,
            self.now(),
        );
        Ok(Change {
            writes: vec![objects::create(object.clone()).map_err(unavailable)?],
            answer: object,
            events: Vec::new(),
        })
    }

    pub(super) async fn plan_line(&self, line: &NewInvoiceLine) -> Result<Change, PaymentError> {
        let invoice = self.load_of("invoice", &line.invoice_id).await?;
        if invoice.str("status") != "draft" {
            return Err(refused(&invoice, "only a draft invoice takes new lines"));
        }
        if invoice.str("customer") != line.customer_id {
            return Err(PaymentError::Refused(format!(
                "invoice {} belongs to another customer than {}",
                line.invoice_id, line.customer_id
            )));
        }
        let item = objects::invoice_item(
            &self.new_id("ii"),
            &line.customer_id,
            &line.invoice_id,
            line.amount_cents,
            &line.description,
            &line.metadata,
            self.now(),
        );
        let mut updated = invoice.object.clone();
        let total = invoice.int("total") + line.amount_cents;
        if let Some(data) = updated["lines"]["data"].as_array_mut() {
            data.push(objects::line_of(&item, &self.new_id("il")));
            updated["lines"]["total_count"] = data.len().into();
        }
        for field in ["subtotal", "total", "amount_due", "amount_remaining"] {
            updated[field] = total.into();
        }
        Ok(Change {
            writes: vec![
                objects::create(item.clone()).map_err(unavailable)?,
                invoice.replace(updated).map_err(unavailable)?,
            ],
            answer: item,
            events: Vec::new(),
        })
    }

    pub(super) async fn plan_finalize(&self, id: &str) -> Result<Change, PaymentError> {
        let invoice = self.load_of("invoice", id).await?;
        if invoice.str("status") != "draft" {
            return Err(refused(&invoice, "only a draft invoice can be finalized"));
        }
        let customer_id = invoice.str("customer").to_owned();
        let customer = self.load_of("customer", &customer_id).await?;
        let now = self.now();
        let total = invoice.int("total");
        let starting = customer.int("balance");
        // A negative balance is credit; it pays what it can of the total.
        let applied = (-starting).clamp(0, total.max(0));
        let due = total - applied;
        let ending = starting + applied;
        let sequence = customer.int("next_invoice_sequence").max(1);

        let mut writes = Vec::new();
        let mut updated_customer = customer.object.clone();
        updated_customer["balance"] = ending.into();
        updated_customer["next_invoice_sequence"] = (sequence + 1).into();
        writes.push(customer.replace(updated_customer).map_err(unavailable)?);
        if applied > 0 {
            let transaction = balance_transaction(
                &self.new_id("cbtxn"),
                &customer_id,
                applied,
                "applied_to_invoice",
                ending,
                Some(id),
                None,
                &Default::default(),
                now,
            );
            writes.push(objects::create(transaction).map_err(unavailable)?);
        }

        let mut open = invoice.object.clone();
        open["status"] = "open".into();
        open["number"] = format!("{}-{sequence:04}", customer.str("invoice_prefix")).into();
        open["starting_balance"] = starting.into();
        open["ending_balance"] = ending.into();
        open["amount_due"] = due.into();
        open["amount_remaining"] = due.into();
        open["hosted_invoice_url"] =
            format!("https://invoice.stripe.com/i/acct_fake/test_{id}").into();
        open["invoice_pdf"] =
            format!("https://pay.stripe.com/invoice/acct_fake/test_{id}/pdf").into();
        let days = invoice.int("days_until_due");
        open["due_date"] = (now + days * 86_400).into();
        open["status_transitions"]["finalized_at"] = now.into();
        let mut events = vec![self.event("invoice.finalized", &open)];
        // Stripe marks an invoice with nothing to pay paid when finalized.
        let last = if due == 0 {
            let paid = paid(&open, now);
            events.push(self.event("invoice.paid", &paid));
            paid
        } else {
            open
        };
        writes.push(invoice.replace(last.clone()).map_err(unavailable)?);
        Ok(Change {
            writes,
            answer: last,
            events,
        })
    }

    pub(super) async fn plan_void(&self, id: &str) -> Result<Change, PaymentError> {
        let invoice = self.load_of("invoice", id).await?;
        if !matches!(invoice.str("status"), "open" | "uncollectible") {
            return Err(refused(
                &invoice,
                "only open or uncollectible invoices can be voided",
            ));
        }
        let now = self.now();
        let mut void = invoice.object.clone();
        void["status"] = "void".into();
        void["amount_remaining"] = 0.into();
        void["status_transitions"]["voided_at"] = now.into();
        let mut writes = vec![invoice.replace(void.clone()).map_err(unavailable)?];
        // The credit the invoice used goes back to the customer.
        let applied = invoice.int("ending_balance") - invoice.int("starting_balance");
        if applied > 0 {
            let customer_id = invoice.str("customer").to_owned();
            let customer = self.load_of("customer", &customer_id).await?;
            let balance = customer.int("balance") - applied;
            let mut updated = customer.object.clone();
            updated["balance"] = balance.into();
            writes.push(customer.replace(updated).map_err(unavailable)?);
            let transaction = balance_transaction(
                &self.new_id("cbtxn"),
                &customer_id,
                -applied,
                "unapplied_from_invoice",
                balance,
                Some(id),
                None,
                &Default::default(),
                now,
            );
            writes.push(objects::create(transaction).map_err(unavailable)?);
        }
        Ok(Change {
            writes,
            events: vec![self.event("invoice.voided", &void)],
            answer: void,
        })
    }

    pub(super) async fn plan_pay(&self, id: &str) -> Result<Change, PaymentError> {
        let invoice = self.load_of("invoice", id).await?;
        if invoice.str("status") != "open" {
            return Err(refused(&invoice, "only an open invoice can be paid"));
        }
        let mut paid = paid(&invoice.object, self.now());
        paid["attempted"] = true.into();
        paid["attempt_count"] = (invoice.int("attempt_count") + 1).into();
        Ok(Change {
            writes: vec![invoice.replace(paid.clone()).map_err(unavailable)?],
            events: vec![self.event("invoice.paid", &paid)],
            answer: paid,
        })
    }

    pub(super) async fn plan_fail(&self, id: &str) -> Result<Change, PaymentError> {
        let invoice = self.load_of("invoice", id).await?;
        if invoice.str("status") != "open" {
            return Err(refused(&invoice, "only an open invoice can fail a payment"));
        }
        let mut failed = invoice.object.clone();
        failed["attempted"] = true.into();
        failed["attempt_count"] = (invoice.int("attempt_count") + 1).into();
        Ok(Change {
            writes: vec![invoice.replace(failed.clone()).map_err(unavailable)?],
            events: vec![self.event("invoice.payment_failed", &failed)],
            answer: failed,
        })
    }
}

/// `invoice` paid in full at `now`.
fn paid(invoice: &Value, now: i64) -> Value {
    let mut paid = invoice.clone();
    paid["status"] = "paid".into();
    paid["paid"] = true.into();
    paid["amount_paid"] = invoice["amount_due"].clone();
    paid["amount_remaining"] = 0.into();
    paid["status_transitions"]["paid_at"] = now.into();
    paid
}
