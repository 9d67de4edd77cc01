//! `pc-migrate --from DIR [--dry-run] [--report FILE] [--aws]`: moves a
//! `mongodump` of the original system into the store the dev server
//! would use (see `backend`), prints the report and writes it to FILE.
//! Exits 0 when every migrated record was re-read, 1 on a store or
//! dump failure (run it again: it resumes), 2 on bad arguments, 3 when
//! the verification found a record missing.

use std::path::PathBuf;
use std::process::ExitCode;

use pc_migrate::{Options, backend, migrate_to};

/// mimalloc rather than the system allocator: the embedded store's page
/// cache allocates and frees a 4 KiB buffer per page read, and glibc's
/// malloc spent about a fifth of a migration's CPU time on them
/// (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: pc-migrate --from DIR [--dry-run] [--report FILE] [--aws]";

/// Fault injection for the tests of resuming: stop abruptly (as a kill
/// would) once this many records were written.
const STOP_AFTER_VAR: &str = "PC_MIGRATE_STOP_AFTER";

struct Args {
    from: PathBuf,
    dry_run: bool,
    report: Option<PathBuf>,
    aws: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut from = None;
    let mut dry_run = false;
    let mut report = None;
    let mut aws = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = Some(args.next().ok_or("--from needs a directory")?.into()),
            "--report" => report = Some(args.next().ok_or("--report needs a file")?.into()),
            "--dry-run" => dry_run = true,
            "--aws" => aws = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        from: from.ok_or("--from DIR is required")?,
        dry_run,
        report,
        aws,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = match backend::from_env(args.aws).await {
        Ok(target) => target,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(1);
        }
    };
    let mut options = Options::new(&args.from);
    options.dry_run = args.dry_run;
    options.stop_after = std::env::var(STOP_AFTER_VAR)
        .ok()
        .and_then(|n| n.parse().ok());
    let outcome = migrate_to(&target, &options).await;
    if let Err(pc_migrate::MigrateError::Sink(pc_migrate::sink::SinkError::Stopped(n))) = &outcome {
        // As a kill would: no sync, no report.
        eprintln!("stopped after {n} records ({STOP_AFTER_VAR})");
        std::process::exit(137);
    }
    if let Err(e) = target.sync() {
        eprintln!("{e:#}");
        return ExitCode::from(1);
    }
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            eprintln!(
                "the migration stopped: {e}; what was written stays, and running it again resumes"
            );
            return ExitCode::from(1);
        }
    };
    let text = report.render();
    print!("{text}");
    if let Some(file) = &args.report
        && let Err(e) = std::fs::write(file, &text)
    {
        eprintln!("writing the report to {}: {e}", file.display());
        return ExitCode::from(1);
    }
    if report.verified_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}
