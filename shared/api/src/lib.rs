//! pc-api
