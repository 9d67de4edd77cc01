//! Every key the billing capability writes, and the items under them.
//! Store modules build these keys only through the functions here; a
//! partner's billing configuration is the accounts capability's
//! (`pc_accounts::keys::billing_key`).
//!
//! ## Invoices ([`crate::invoices_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | invoice | `INVOICE#<id>` | `INVOICE` | `PARTNER#<pid>#INVOICES` / `<period>#<id>` | `INVOICES` / `<period>#<id>` | `STRIPEINVOICE#<stripeId>` / `INVOICE` (once Stripe's id is known) |
//! | invoice line | `INVOICE#<id>` | `LINE#<lineId>` | | | |
//! | monthly claim | `INVOICECLAIM#<pid>#<period>` | `CLAIM` | | | |
//!
//! ## Credits ([`crate::credits_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | credit | `CREDIT#<id>` | `CREDIT` | `PARTNER#<pid>#CREDITS` / `<createdAt>#<id>` | `CREDITS` / `<createdAt>#<id>` |
//!
//! ## Invoice generation tasks ([`crate::generate_api`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | generation task | `BILLINGTASK#<id>` | `TASK` |
//! | a partner done | `BILLINGTASK#<id>` | `DONE#<partnerId>` |
//!
//! ## Processed Stripe events ([`crate::stripe_events`])
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | processed Stripe event | `STRIPEEVENT#<eventId>` | `EVENT` | `type`, `outcome`, `note`, `invoiceId?`, `processedAt`, `ttl` (30 days) |

use pc_platform::store::{Key, partner_collection};

pub fn invoice_key(id: &str) -> Key {
    Key::new(format!("INVOICE#{id}"), "INVOICE")
}

/// The sort keys of an invoice's lines begin with it.
pub const LINE_PREFIX: &str = "LINE#";

pub fn line_key(invoice_id: &str, line_id: &str) -> Key {
    Key::new(
        invoice_key(invoice_id).pk,
        format!("{LINE_PREFIX}{line_id}"),
    )
}

/// The guard of a partner's invoice for one period.
pub fn claim_key(partner_id: &str, period: &str) -> Key {
    Key::new(format!("INVOICECLAIM#{partner_id}#{period}"), "CLAIM")
}

/// The gsi1 partition of a partner's invoices, by period.
pub fn partner_invoices_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "INVOICES")
}

/// The gsi2 partition of every invoice, by period.
pub const INVOICES_PARTITION: &str = "INVOICES";

/// The gsi3 partition of the invoice Stripe knows as `stripe_invoice_id`.
pub fn stripe_invoice_partition(stripe_invoice_id: &str) -> String {
    format!("STRIPEINVOICE#{stripe_invoice_id}")
}

pub fn credit_key(id: &str) -> Key {
    Key::new(format!("CREDIT#{id}"), "CREDIT")
}

/// The gsi1 partition of a partner's credits.
pub fn partner_credits_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "CREDITS")
}

/// The gsi2 partition of every credit.
pub const CREDITS_PARTITION: &str = "CREDITS";

/// The partition of an invoice generation task: the task and the
/// partners done.
pub fn billing_task_partition(id: &str) -> String {
    format!("BILLINGTASK#{id}")
}

pub fn billing_task_key(id: &str) -> Key {
    Key::new(billing_task_partition(id), "TASK")
}

/// The marker of a partner done by a generation task.
pub fn billing_task_done_key(task_id: &str, partner_id: &str) -> Key {
    Key::new(
        billing_task_partition(task_id),
        format!("DONE#{partner_id}"),
    )
}

/// The guard of a processed Stripe event.
pub fn stripe_event_key(event_id: &str) -> Key {
    Key::new(format!("STRIPEEVENT#{event_id}"), "EVENT")
}
