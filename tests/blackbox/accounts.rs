//! Black-box scenarios of the accounts capability.
