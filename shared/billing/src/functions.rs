//! The Lambda functions of billing, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table.

use pc_api::{Access, Function, Permissions, http};

use crate::{credits_api, invoice_void, invoices_api};

/// Finance changes that call Stripe.
const PAYMENTS: Permissions = Permissions::WRITE.payments();

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        billing_invoices_list(),
        billing_invoices_get(),
        partners_invoices_list(),
        billing_invoices_void(),
        billing_add_credit(),
    ]
}

pub fn billing_invoices_list() -> Function {
    http!(
        "billing-invoices-list",
        Access::Staff,
        Permissions::READ,
        invoices_api::list_all_invoices
    )
}

pub fn billing_invoices_get() -> Function {
    http!(
        "billing-invoices-get",
        Access::Staff,
        Permissions::READ,
        invoices_api::get_invoice
    )
}

pub fn partners_invoices_list() -> Function {
    http!(
        "partners-invoices-list",
        Access::Admin,
        Permissions::READ,
        invoices_api::list_partner_invoices
    )
}

pub fn billing_invoices_void() -> Function {
    http!(
        "billing-invoices-void",
        Access::Staff,
        PAYMENTS,
        invoice_void::void_invoice
    )
}

pub fn billing_add_credit() -> Function {
    http!(
        "billing-add-credit",
        Access::Staff,
        PAYMENTS,
        credits_api::add_credit
    )
}
