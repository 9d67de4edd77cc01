// The link settings of the release Lambda binaries: the build script of
// `pc-functions` (functions/build.rs, generated) and of the benchmark
// (infra/bench/build.rs, so its hello-world baseline links like the
// functions) both include this file. They are link flags, not
// `RUSTFLAGS`, so no crate recompiles for them and debug builds are left
// as they are.
//
// Measured on `auth-me` (infra/README.md): 10.2 MB as Rust links it by
// default, 7.6 MB with the three settings below.
// - `-no-pie`: Lambda runs one process per sandbox and gains nothing from
//   address randomization of the executable; a position-independent one
//   carries ~1 MB of dynamic relocations.
// - `--icf=all` (rust-lld, the toolchain's default linker on x86-64
//   Linux): folds the identical functions that generic code instantiates
//   for each handler's types (~0.5 MB).
// - unwind tables discarded: the release profile aborts on panic, so
//   nothing unwinds (~1.1 MB); a panic still logs its message and
//   location, without a backtrace.

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
