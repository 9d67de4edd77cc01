//! (capability crate; functions are added as it is built)

use pc_api::Function;

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    Vec::new()
}
