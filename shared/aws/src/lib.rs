//! pc-aws
