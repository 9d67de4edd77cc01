//! Black-box scenarios of the notify capability.
