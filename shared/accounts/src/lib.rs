//! pc-accounts
