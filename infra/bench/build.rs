//! The benchmark's binaries link like the deployed functions (the
//! hello-world baseline must be built the same way to be a baseline): the
//! same build script, kept in one place by the generator.

include!("../../functions/build.rs");
