//! The email port on SES.

pub mod ses;

pub use ses::SesEmail;
