use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::*;
use crate::clock::SettableClock;
use crate::payments::signature;
use crate::payments::{
    Metadata, NewCredit, NewCustomer, NewInvoice, NewInvoiceLine, NewPaymentIntent, NewRefund,
    PaymentGateway, StripeInvoice, StripeInvoiceStatus,
};
use crate::store::embedded::EmbeddedStore;

const SECRET: &str = "whsec_test";

/// Keeps what it was sent and answers 200.
#[derive(Default)]
struct Recorder {
    received: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl WebhookEndpoint for Recorder {
    async fn deliver(&self, body: &str, signature: &str) -> Result<u16, String> {
        self.received
            .lock()
            .unwrap()
            .push((body.to_owned(), signature.to_owned()));
        Ok(200)
    }
}

fn fake() -> (Arc<FakeStripe>, Arc<Recorder>, Arc<SettableClock>) {
    let clock = Arc::new(SettableClock::default());
    let stripe = Arc::new(FakeStripe::new(
        Arc::new(EmbeddedStore::in_memory()),
        clock.clone(),
        Some(SECRET.into()),
    ));
    let recorder = Arc::new(Recorder::default());
    stripe.deliver_to(recorder.clone());
    (stripe, recorder, clock)
}

async fn customer(stripe: &FakeStripe) -> String {
    let new = NewCustomer {
        name: "Acme".into(),
        email: Some("billing@acme.test".into()),
        metadata: Metadata::new(),
    };
    stripe.create_customer(&new, "customer:P1").await.unwrap()
}

/// A draft of `amounts` for a fresh customer; answers (customer, invoice).
async fn draft(stripe: &FakeStripe, amounts: &[i64]) -> (String, String) {
    let customer_id = customer(stripe).await;
    let new = NewInvoice {
        customer_id: customer_id.clone(),
        description: "Leads of 2030-01".into(),
        days_until_due: 30,
        metadata: [("invoiceId".to_owned(), "INV1".to_owned())].into(),
    };
    let invoice = stripe
        .create_invoice(&new, "invoice:P1:2030-01")
        .await
        .unwrap();
    for (n, amount) in amounts.iter().enumerate() {
        let line = NewInvoiceLine {
            customer_id: customer_id.clone(),
            invoice_id: invoice.id.clone(),
            amount_cents: *amount,
            description: format!("lead {n}"),
            metadata: Metadata::new(),
        };
        stripe
            .add_invoice_line(&line, &format!("line:INV1:L{n}"))
            .await
            .unwrap();
    }
    (customer_id, invoice.id)
}

fn types(stripe_events: &[SentEvent]) -> Vec<&str> {
    stripe_events.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test]
async fn a_key_answers_its_first_object_and_refuses_another_request() {
    let (stripe, _, _) = fake();
    let first = customer(&stripe).await;
    assert!(first.starts_with("cus_"));
    assert_eq!(customer(&stripe).await, first);
    let other = NewCustomer {
        name: "Other".into(),
        email: None,
        metadata: Metadata::new(),
    };
    let reused = stripe.create_customer(&other, "customer:P1").await;
    assert!(
        matches!(reused, Err(PaymentError::Refused(_))),
        "{reused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_one_key_make_one_line() {
    let (stripe, _, _) = fake();
    let (customer_id, invoice_id) = draft(&stripe, &[]).await;
    let line = NewInvoiceLine {
        customer_id,
        invoice_id: invoice_id.clone(),
        amount_cents: 1_000,
        description: "lead".into(),
        metadata: Metadata::new(),
    };
    let calls = (0..8).map(|_| {
        let stripe = stripe.clone();
        let line = line.clone();
        tokio::spawn(async move { stripe.add_invoice_line(&line, "line:INV1:L1").await })
    });
    let ids: Vec<String> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    assert!(ids.iter().all(|id| id == &ids[0] && id.starts_with("ii_")));
    let invoice = stripe.object(&invoice_id).await.unwrap().unwrap();
    assert_eq!(invoice["total"], 1_000);
    assert_eq!(invoice["lines"]["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn credit_is_used_up_by_the_next_finalized_invoices() {
    let (stripe, _, _) = fake();
    let (customer_id, invoice_id) = draft(&stripe, &[2_000, 500]).await;
    let credit = NewCredit {
        customer_id: customer_id.clone(),
        amount_cents: 3_000,
        description: "goodwill".into(),
        metadata: Metadata::new(),
    };
    let txn = stripe.credit_balance(&credit, "credit:1").await.unwrap();
    assert!(txn.starts_with("cbtxn_"));
    assert_eq!(
        stripe.credit_balance(&credit, "credit:1").await.unwrap(),
        txn
    );
    let open = stripe
        .finalize_invoice(&invoice_id, "finalize:INV1")
        .await
        .unwrap();
    // The whole total is covered: nothing due, so Stripe marks it paid.
    assert_eq!((open.total_cents, open.amount_due_cents), (2_500, 0));
    assert_eq!(open.status, StripeInvoiceStatus::Paid);
    let customer = stripe.object(&customer_id).await.unwrap().unwrap();
    assert_eq!(customer["balance"], -500, "500 of credit left");

    let second = NewInvoice {
        customer_id: customer_id.clone(),
        description: "Leads of 2030-02".into(),
        days_until_due: 30,
        metadata: Metadata::new(),
    };
    let second = stripe
        .create_invoice(&second, "invoice:P1:2030-02")
        .await
        .unwrap();
    let line = NewInvoiceLine {
        customer_id: customer_id.clone(),
        invoice_id: second.id.clone(),
        amount_cents: 1_200,
        description: "lead".into(),
        metadata: Metadata::new(),
    };
    stripe
        .add_invoice_line(&line, "line:INV2:L1")
        .await
        .unwrap();
    let open = stripe
        .finalize_invoice(&second.id, "finalize:INV2")
        .await
        .unwrap();
    assert_eq!(
        (open.status, open.amount_due_cents),
        (StripeInvoiceStatus::Open, 700)
    );
    assert!(open.hosted_invoice_url.is_some());
    let customer = stripe.object(&customer_id).await.unwrap().unwrap();
    assert_eq!(customer["balance"], 0);
    // Voiding gives the credit it used back.
    stripe.void_invoice(&second.id, "void:INV2").await.unwrap();
    let customer = stripe.object(&customer_id).await.unwrap().unwrap();
    assert_eq!(customer["balance"], -500);
}

#[tokio::test]
async fn invoices_follow_stripes_state_rules() {
    let (stripe, _, _) = fake();
    let (customer_id, invoice_id) = draft(&stripe, &[1_000]).await;
    let refused =
        |r: Result<StripeInvoice, PaymentError>| matches!(r, Err(PaymentError::Refused(_)));
    assert!(
        refused(stripe.void_invoice(&invoice_id, "void:a").await),
        "a draft is not voided"
    );
    assert!(
        refused(stripe.pay_invoice(&invoice_id).await),
        "a draft is not paid"
    );
    let open = stripe
        .finalize_invoice(&invoice_id, "finalize:INV1")
        .await
        .unwrap();
    assert_eq!(open.status, StripeInvoiceStatus::Open);
    // The same key answers again; a new key finds it finalized.
    assert_eq!(
        stripe
            .finalize_invoice(&invoice_id, "finalize:INV1")
            .await
            .unwrap(),
        open
    );
    assert!(refused(
        stripe.finalize_invoice(&invoice_id, "finalize:other").await
    ));
    let line = NewInvoiceLine {
        customer_id,
        invoice_id: invoice_id.clone(),
        amount_cents: 1,
        description: "late".into(),
        metadata: Metadata::new(),
    };
    let late = stripe.add_invoice_line(&line, "line:late").await;
    assert!(
        matches!(late, Err(PaymentError::Refused(_))),
        "an open invoice takes no lines"
    );
    assert_eq!(
        stripe.fail_invoice(&invoice_id).await.unwrap().status,
        StripeInvoiceStatus::Open
    );
    assert_eq!(
        stripe.pay_invoice(&invoice_id).await.unwrap().status,
        StripeInvoiceStatus::Paid
    );
    assert!(
        refused(stripe.void_invoice(&invoice_id, "void:b").await),
        "a paid invoice stays paid"
    );
    let object = stripe.object(&invoice_id).await.unwrap().unwrap();
    assert_eq!(object["amount_paid"], 1_000);
    assert!(object["status_transitions"]["paid_at"].is_i64());
    assert!(object["number"].as_str().unwrap().ends_with("-0001"));
    let missing = stripe.get_invoice("in_missing").await;
    assert!(matches!(missing, Err(PaymentError::Refused(_))));
}

#[tokio::test]
async fn events_are_signed_at_real_time_and_kept_whatever_the_clock_says() {
    let (stripe, recorder, clock) = fake();
    clock.set(chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap());
    let (_, invoice_id) = draft(&stripe, &[1_000]).await;
    stripe
        .finalize_invoice(&invoice_id, "finalize:INV1")
        .await
        .unwrap();
    stripe.fail_invoice(&invoice_id).await.unwrap();
    stripe.pay_invoice(&invoice_id).await.unwrap();
    let sent = stripe.sent_events().await.unwrap();
    assert_eq!(
        types(&sent),
        [
            "invoice.finalized",
            "invoice.payment_failed",
            "invoice.paid"
        ]
    );
    let received = recorder.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    // Signatures carry real time, so a receiver's five-minute check holds
    // while the business clock is moved (here to 2030).
    let now = crate::clock::wire_now().timestamp();
    for (event, (body, header)) in sent.iter().zip(&received) {
        assert_eq!(&event.body, body);
        assert_eq!(event.signature.as_ref(), Some(header));
        assert_eq!(event.delivery_status, Some(200));
        assert_eq!(
            signature::verify(SECRET, header, body.as_bytes(), now),
            Ok(())
        );
        let parsed: Value = serde_json::from_str(body).unwrap();
        assert_eq!(parsed["object"], "event");
        assert_eq!(parsed["livemode"], false);
        assert!(parsed["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(parsed["data"]["object"]["id"], invoice_id.as_str());
    }
    let paid: Value = serde_json::from_str(&received[2].0).unwrap();
    assert_eq!(paid["data"]["object"]["status"], "paid");
    assert_eq!(paid["data"]["object"]["metadata"]["invoiceId"], "INV1");
}

#[tokio::test]
async fn a_fault_after_applying_leaves_the_object_for_the_retry() {
    let (stripe, _, _) = fake();
    let customer_id = customer(&stripe).await;
    let new = NewInvoice {
        customer_id,
        description: "Leads".into(),
        days_until_due: 30,
        metadata: Metadata::new(),
    };
    stripe.inject_fault(Operation::CreateInvoice, FaultTiming::Before);
    let before = stripe.create_invoice(&new, "invoice:X").await;
    assert!(matches!(before, Err(PaymentError::Unavailable(_))));
    stripe.inject_fault(Operation::CreateInvoice, FaultTiming::After);
    let after = stripe.create_invoice(&new, "invoice:X").await;
    assert!(matches!(after, Err(PaymentError::Unavailable(_))));
    let retried = stripe.create_invoice(&new, "invoice:X").await.unwrap();
    let again = stripe.create_invoice(&new, "invoice:X").await.unwrap();
    assert_eq!(
        retried.id, again.id,
        "the retry answers the object the failed call made"
    );
    stripe.set_latency(std::time::Duration::from_millis(5));
    assert_eq!(stripe.latency(), std::time::Duration::from_millis(5));
}

#[tokio::test]
async fn payment_intents_succeed_or_are_declined() {
    let (stripe, _, _) = fake();
    let mut new = NewPaymentIntent {
        amount_cents: 30_000,
        customer_id: None,
        payment_method_id: Some("pm_card_visa".into()),
        application_fee_cents: Some(3_000),
        destination_account: Some("acct_seller".into()),
        description: "lead".into(),
        metadata: Metadata::new(),
    };
    let intent = stripe.create_payment_intent(&new, "buy:L1").await.unwrap();
    assert!(intent.id.starts_with("pi_"));
    assert_eq!(intent.status, "requires_confirmation");
    let done = stripe.succeed_payment_intent(&intent.id).await.unwrap();
    assert_eq!(done.status, "succeeded");
    let again = stripe.succeed_payment_intent(&intent.id).await;
    assert!(matches!(again, Err(PaymentError::Refused(_))));
    assert_eq!(
        types(&stripe.sent_events().await.unwrap()),
        ["payment_intent.succeeded"]
    );
    new.payment_method_id = Some("pm_card_chargeDeclined".into());
    let declined = stripe.create_payment_intent(&new, "buy:L2").await;
    assert!(matches!(declined, Err(PaymentError::Declined(_))));
}

fn marketplace_payment(destination: Option<&str>, fee: Option<i64>) -> NewPaymentIntent {
    NewPaymentIntent {
        amount_cents: 10_000,
        customer_id: None,
        payment_method_id: Some("pm_card_visa".into()),
        application_fee_cents: fee,
        destination_account: destination.map(str::to_owned),
        description: "lead".into(),
        metadata: Metadata::new(),
    }
}

fn full_refund(intent: &str, reverse_transfer: bool, refund_application_fee: bool) -> NewRefund {
    NewRefund {
        payment_intent_id: intent.into(),
        reverse_transfer,
        refund_application_fee,
        reason: Some("requested_by_customer".into()),
        metadata: Metadata::new(),
    }
}

#[tokio::test]
async fn a_canceled_intent_cannot_be_confirmed_and_a_succeeded_one_cannot_be_canceled() {
    let (stripe, _, _) = fake();
    let open = stripe
        .create_payment_intent(&marketplace_payment(Some("acct_s"), Some(2_000)), "buy:C1")
        .await
        .unwrap();
    let canceled = stripe
        .cancel_payment_intent(&open.id, "cancel:C1")
        .await
        .unwrap();
    assert_eq!(canceled.status, "canceled");
    // A retry with the key answers the same; confirming is refused.
    let again = stripe
        .cancel_payment_intent(&open.id, "cancel:C1")
        .await
        .unwrap();
    assert_eq!(again, canceled);
    assert!(matches!(
        stripe.succeed_payment_intent(&open.id).await,
        Err(PaymentError::Refused(_))
    ));
    assert!(matches!(
        stripe.cancel_payment_intent(&open.id, "cancel:C1b").await,
        Err(PaymentError::Refused(_))
    ));
    let paid = stripe
        .create_payment_intent(&marketplace_payment(None, None), "buy:C2")
        .await
        .unwrap();
    stripe.succeed_payment_intent(&paid.id).await.unwrap();
    assert!(matches!(
        stripe.cancel_payment_intent(&paid.id, "cancel:C2").await,
        Err(PaymentError::Refused(_))
    ));
    assert_eq!(
        types(&stripe.sent_events().await.unwrap()),
        ["payment_intent.canceled", "payment_intent.succeeded"]
    );
}

#[tokio::test]
async fn a_refund_in_full_reverses_the_transfer_and_the_fee_only_where_there_were_some() {
    let (stripe, _, _) = fake();
    let connect = stripe
        .create_payment_intent(&marketplace_payment(Some("acct_s"), Some(2_000)), "buy:R1")
        .await
        .unwrap();
    // Not paid yet: nothing to refund.
    assert!(matches!(
        stripe
            .refund_payment(&full_refund(&connect.id, true, true), "refund:R1")
            .await,
        Err(PaymentError::Refused(_))
    ));
    stripe.succeed_payment_intent(&connect.id).await.unwrap();
    let refund = stripe
        .refund_payment(&full_refund(&connect.id, true, true), "refund:R1")
        .await
        .unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(
        (refund.status.as_str(), refund.amount_cents),
        ("succeeded", 10_000)
    );
    let object = stripe.object(&refund.id).await.unwrap().unwrap();
    assert!(
        object["transfer_reversal"]
            .as_str()
            .unwrap()
            .starts_with("trr_")
    );
    let intent = stripe.object(&connect.id).await.unwrap().unwrap();
    let charge = stripe
        .object(intent["latest_charge"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(charge["refunded"], true);
    assert_eq!(charge["amount_refunded"], 10_000);
    let fee_refunds = stripe.objects_of_type("fee_refund").await.unwrap();
    assert_eq!(fee_refunds.len(), 1, "{fee_refunds:?}");
    assert_eq!(fee_refunds[0]["amount"], 2_000);
    assert_eq!(fee_refunds[0]["fee"], charge["application_fee"]);
    // The key answers the same refund; a second refund is refused.
    let again = stripe
        .refund_payment(&full_refund(&connect.id, true, true), "refund:R1")
        .await
        .unwrap();
    assert_eq!(again, refund);
    assert!(matches!(
        stripe
            .refund_payment(&full_refund(&connect.id, true, true), "refund:R1b")
            .await,
        Err(PaymentError::Refused(_))
    ));

    // A platform sale: no transfer, no fee; the flags are refused.
    let direct = stripe
        .create_payment_intent(&marketplace_payment(None, None), "buy:R2")
        .await
        .unwrap();
    stripe.succeed_payment_intent(&direct.id).await.unwrap();
    for (reverse, fee) in [(true, false), (false, true)] {
        assert!(matches!(
            stripe
                .refund_payment(
                    &full_refund(&direct.id, reverse, fee),
                    &format!("r:{reverse}{fee}")
                )
                .await,
            Err(PaymentError::Refused(_))
        ));
    }
    stripe
        .refund_payment(&full_refund(&direct.id, false, false), "refund:R2")
        .await
        .unwrap();
    let sent = stripe.sent_events().await.unwrap();
    let kinds = types(&sent);
    assert_eq!(
        kinds.iter().filter(|k| **k == "charge.refunded").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "refund.created").count(), 2);
}

#[tokio::test]
async fn a_default_fake_keeps_its_objects_and_events_unsigned() {
    let stripe = FakeStripe::default();
    let (_, invoice_id) = draft(&stripe, &[700]).await;
    let open = stripe.finalize_invoice(&invoice_id, "f").await.unwrap();
    assert_eq!(open.amount_due_cents, 700);
    let sent = stripe.sent_events().await.unwrap();
    assert_eq!(types(&sent), ["invoice.finalized"]);
    assert_eq!(sent[0].signature, None, "no secret, no signature, not sent");
}
