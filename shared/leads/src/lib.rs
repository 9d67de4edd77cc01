//! pc-leads
