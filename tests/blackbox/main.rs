//! Black-box scenarios, one module per capability.

mod system;
