//! The benchmark's binaries link like the deployed functions (its
//! hello-world baseline must, to be a baseline): the same settings.

include!("../lambda_link.rs");
