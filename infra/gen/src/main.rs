//! `cargo run -p pc-infra -- generate`: writes the `functions/` binaries,
//! template.yaml and missing `events/` samples from the function table.
//! `cargo run -p pc-infra -- check`: changes nothing, exits non-zero naming
//! every file that differs from what `generate` would write.

use std::process::ExitCode;

use pc_infra::{Plan, deployed_functions, workspace_root};

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let root = workspace_root();
    let plan = match Plan::new(&deployed_functions()) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("cannot generate: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command.as_str() {
        "generate" => plan.write(&root).map(|changes| {
            if changes.is_empty() {
                println!("up to date ({} functions)", plan.names.len());
            }
            for change in changes {
                println!("{change}");
            }
            true
        }),
        "check" => plan.differences(&root).map(|differences| {
            for difference in &differences {
                eprintln!("{difference}");
            }
            if differences.is_empty() {
                println!("up to date ({} functions)", plan.names.len());
            } else {
                eprintln!("run `cargo run -p pc-infra -- generate`");
            }
            differences.is_empty()
        }),
        _ => {
            eprintln!("usage: pc-infra generate|check");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
