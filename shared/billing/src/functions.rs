//! The Lambda functions of billing, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table.

use pc_api::{Function, Permissions, schedule, worker};
use pc_platform::queue::QueueName;

use crate::{MONTHLY_INVOICES, monthly_invoices};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![monthly_invoices(), billing_worker()]
}

pub fn monthly_invoices() -> Function {
    schedule!(
        "monthly-invoices",
        MONTHLY_INVOICES,
        Permissions::WRITE.sends(&[QueueName::Billing]),
        monthly_invoices::run_monthly_invoices
    )
}

pub fn billing_worker() -> Function {
    worker!(
        "billing-worker",
        QueueName::Billing,
        Permissions::WRITE.payments(),
        monthly_invoices::billing_worker
    )
}
