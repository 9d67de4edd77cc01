//! functions/build.rs: the link settings of the release Lambda binaries.
//! They are link flags, not `RUSTFLAGS`, so they change no crate's build
//! (the shared dependency tree of debug and release builds stays as it
//! is) and apply only to the binaries of `pc-functions` and of the
//! benchmark (`infra/bench/build.rs` includes the same file, so its
//! hello-world baseline links like the functions).

use crate::functions_crate::GENERATED_BY;

/// Where the build script lives, relative to the workspace root.
pub const PATH: &str = "functions/build.rs";

/// The build script's text after its first two lines.
const BODY: &str = r#"//!
//! Measured on `auth-me` (infra/README.md): 10.2 MB as Rust links it by
//! default, 7.6 MB with the three settings below; each is a link flag, so
//! no crate recompiles for it.
//! - `-no-pie`: Lambda runs one process per sandbox and gains nothing from
//!   address randomization of the executable; a position-independent one
//!   carries ~1 MB of dynamic relocations.
//! - `--icf=all` (rust-lld, the toolchain's default linker on x86-64
//!   Linux): folds the identical functions that generic code instantiates
//!   for each handler's types (~0.5 MB).
//! - unwind tables discarded: the release profile aborts on panic, so
//!   nothing unwinds (~1.2 MB); a panic still logs its message and
//!   location, without a backtrace.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if !(release && linux) {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script = out.join("discard-unwind-tables.ld");
    std::fs::write(
        &script,
        "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) } } INSERT AFTER .text;\n",
    )
    .expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
}
"#;

/// The text of functions/build.rs.
pub fn build_script() -> String {
    format!(
        "//! Link settings of the release Lambda binaries (and of the benchmark's\n\
         //! baseline, which includes this file). {GENERATED_BY}\n{BODY}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_release_binaries_on_linux_get_the_settings() {
        let script = build_script();
        assert!(script.contains("p == \"release\""), "{script}");
        assert!(script.contains("os == \"linux\""), "{script}");
        assert!(script.contains("rustc-link-arg-bins=-no-pie"), "{script}");
    }
}
