//! pc-app
