//! The Lambda functions of the marketplace, one constructor each. A binary
//! in `functions/` calls one of them, so it links that handler and no
//! other; [`all`] lists them for the function table.

use pc_api::Function;

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![]
}
