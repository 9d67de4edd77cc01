//! The OAuth tokens of a HubSpot connection are sealed with the platform's
//! field cipher (`pc_platform::cipher`), under the name this capability
//! has always used for it.

pub use pc_platform::cipher::{CipherError, FieldCipher as TokenCipher, Sealed};
