//! pc-notify
