//! The stored tokens' cipher is the platform's secret cipher
//! ([`pc_platform::cipher`]), shared with the webhook signing secrets.

pub use pc_platform::cipher::{CipherError, Sealed, TokenCipher};
