//! Black-box scenarios of the leads capability.
