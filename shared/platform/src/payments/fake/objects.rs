//! The fake's objects as Stripe's API shows them (the JSON of customers,
//! invoices, invoice items, balance transactions, payment intents), how
//! they are stored, and how the port's types are read from them.

use serde_json::{Value, json};

use super::super::{
    CURRENCY, Metadata, PaymentError, PaymentIntent, Refund, StripeInvoice, StripeInvoiceStatus,
};
use crate::store::{Condition, Item, StoreError, Write};

pub use super::keys::{idempotency_key, object_key, type_partition};

/// An object as stored: its JSON and the version its writes are conditional on.
#[derive(Clone, Debug)]
pub struct Stored {
    pub object: Value,
    pub version: i64,
}

impl Stored {
    pub fn from_item(item: &Item) -> Option<Self> {
        Some(Self {
            object: item.get("object")?.clone(),
            version: item.get("version").and_then(Value::as_i64).unwrap_or(0),
        })
    }

    pub fn str(&self, field: &str) -> &str {
        self.object[field].as_str().unwrap_or_default()
    }

    pub fn int(&self, field: &str) -> i64 {
        self.object[field].as_i64().unwrap_or_default()
    }

    /// The write that replaces this object by `object`, on condition that
    /// nobody changed it since it was read.
    pub fn replace(&self, object: Value) -> Result<Write, StoreError> {
        Ok(Write::Put {
            item: object_item(object, self.version + 1)?,
            condition: Some(Condition::equals("version", self.version)),
        })
    }
}

/// The item holding `object` (its `id` and `object` fields name it).
pub fn object_item(object: Value, version: i64) -> Result<Item, StoreError> {
    let id = object["id"]
        .as_str()
        .ok_or_else(|| StoreError::Invalid("a Stripe object without an id".into()))?;
    let key = object_key(id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "stripe_object".into());
    item.insert("objectType".into(), object["object"].clone());
    let object_type = object["object"].as_str().unwrap_or("object");
    item.insert("gsi2pk".into(), type_partition(object_type).into());
    item.insert("gsi2sk".into(), id.into());
    item.insert("version".into(), version.into());
    item.insert("object".into(), object);
    Ok(item)
}

/// A new object's write: it must not exist yet.
pub fn create(object: Value) -> Result<Write, StoreError> {
    Ok(Write::put_new(object_item(object, 0)?))
}

pub fn customer(id: &str, name: &str, email: Option<&str>, metadata: &Metadata, now: i64) -> Value {
    // Stripe numbers a customer's invoices `<invoice_prefix>-<sequence>`.
    let prefix: String = id
        .trim_start_matches("cus_")
        .chars()
        .rev()
        .take(8)
        .collect::<String>()
        .to_uppercase();
    json!({
        "id": id, "object": "customer", "name": name, "email": email,
        "metadata": metadata, "balance": 0, "currency": CURRENCY, "created": now,
        "invoice_prefix": prefix, "next_invoice_sequence": 1, "livemode": false,
    })
}

pub fn draft_invoice(
    id: &str,
    customer: &str,
    description: &str,
    days_until_due: u32,
    metadata: &Metadata,
    now: i64,
) -> Value {
    json!({
        "id": id, "object": "invoice", "customer": customer, "status": "draft",
        "collection_method": "send_invoice", "days_until_due": days_until_due,
        "auto_advance": false, "pending_invoice_items_behavior": "exclude",
        "description": description, "metadata": metadata, "currency": CURRENCY,
        "subtotal": 0, "total": 0, "amount_due": 0, "amount_paid": 0, "amount_remaining": 0,
        "starting_balance": 0, "ending_balance": null, "attempt_count": 0, "attempted": false,
        "paid": false, "number": null, "hosted_invoice_url": null, "invoice_pdf": null,
        "due_date": null, "created": now, "livemode": false,
        "status_transitions": {
            "finalized_at": null, "paid_at": null, "voided_at": null,
            "marked_uncollectible_at": null,
        },
        "lines": {
            "object": "list", "data": [], "has_more": false, "total_count": 0,
            "url": format!("/v1/invoices/{id}/lines"),
        },
    })
}

pub fn invoice_item(
    id: &str,
    customer: &str,
    invoice: &str,
    amount: i64,
    description: &str,
    metadata: &Metadata,
    now: i64,
) -> Value {
    json!({
        "id": id, "object": "invoiceitem", "customer": customer, "invoice": invoice,
        "amount": amount, "currency": CURRENCY, "description": description,
        "metadata": metadata, "date": now, "livemode": false,
    })
}

/// The invoice line an invoice item makes.
pub fn line_of(item: &Value, line_id: &str) -> Value {
    json!({
        "id": line_id, "object": "line_item", "type": "invoiceitem",
        "invoice_item": item["id"], "amount": item["amount"], "currency": CURRENCY,
        "description": item["description"], "metadata": item["metadata"],
    })
}

#[allow(clippy::too_many_arguments)]
pub fn balance_transaction(
    id: &str,
    customer: &str,
    amount: i64,
    kind: &str,
    ending_balance: i64,
    invoice: Option<&str>,
    description: Option<&str>,
    metadata: &Metadata,
    now: i64,
) -> Value {
    json!({
        "id": id, "object": "customer_balance_transaction", "customer": customer,
        "amount": amount, "currency": CURRENCY, "type": kind, "ending_balance": ending_balance,
        "invoice": invoice, "description": description, "metadata": metadata,
        "created": now, "livemode": false,
    })
}

pub fn metadata_of(object: &Value) -> Metadata {
    object["metadata"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The port's view of an invoice object.
pub fn stripe_invoice(object: &Value) -> Result<StripeInvoice, PaymentError> {
    let status: StripeInvoiceStatus = serde_json::from_value(object["status"].clone())
        .map_err(|e| PaymentError::Unavailable(format!("stored invoice status: {e}")))?;
    Ok(StripeInvoice {
        id: object["id"].as_str().unwrap_or_default().to_owned(),
        customer_id: object["customer"].as_str().unwrap_or_default().to_owned(),
        status,
        total_cents: object["total"].as_i64().unwrap_or_default(),
        amount_due_cents: object["amount_due"].as_i64().unwrap_or_default(),
        hosted_invoice_url: object["hosted_invoice_url"].as_str().map(str::to_owned),
        metadata: metadata_of(object),
    })
}

/// The port's view of a payment intent object.
pub fn payment_intent(object: &Value) -> PaymentIntent {
    PaymentIntent {
        id: object["id"].as_str().unwrap_or_default().to_owned(),
        status: object["status"].as_str().unwrap_or_default().to_owned(),
        amount_cents: object["amount"].as_i64().unwrap_or_default(),
        client_secret: object["client_secret"].as_str().map(str::to_owned),
        metadata: metadata_of(object),
    }
}

/// The port's view of a refund object.
pub fn refund(object: &Value) -> Refund {
    Refund {
        id: object["id"].as_str().unwrap_or_default().to_owned(),
        status: object["status"].as_str().unwrap_or_default().to_owned(),
        amount_cents: object["amount"].as_i64().unwrap_or_default(),
    }
}

pub fn no_such(kind: &str, id: &str) -> PaymentError {
    PaymentError::Refused(format!("No such {kind}: '{id}'"))
}
