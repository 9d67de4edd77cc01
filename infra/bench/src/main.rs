//! The benchmark (`bash infra/bench.sh`): for one representative function
//! of each kind (API read and write, webhook, worker, schedule, WebSocket
//! route, bus rule) it prints
//!
//! - the stripped release binary's size;
//! - init: process start to the first poll of a local Lambda Runtime API
//!   ([`runtime_api`]) by the deployed binary, its AWS adapters built and
//!   its secrets read from a local Secrets Manager ([`secrets_api`]), which
//!   answers at once, then after 25 ms (a stand-in for the TLS round trip
//!   to Secrets Manager on Lambda);
//! - cold start: process start to first answer through the Runtime API, by
//!   the deployed binary when the function touches no AWS service (health),
//!   and by the benchmark's `embedded-function` binary (the same handler on
//!   the seeded embedded store) for every function;
//! - warm latency p50/p99 through the Runtime API (`embedded-function`),
//!   and of the handler alone in process;
//! - peak RSS of the `embedded-function` process;
//! - store round trips per request (every store call is one DynamoDB request
//!   in production), counted in process with a `CountingStore`.
//!
//! The same figures for `hello-lambda`, the smallest `lambda_http` function
//! built with the same profile, are the baseline.
//!
//! Usage: `pc-bench [BINARY_DIR] [WARM_INVOCATIONS]` (defaults
//! `target/release`, 300); `pc-bench cold [BINARY_DIR] [ROUNDS] [OTHER_DIR...]`
//! (defaults `target/release`, 21) compares the cold start of real
//! functions with the hello-world floor ([`cold`]), and with the same
//! binaries in other directories (copies of an earlier build) in the same
//! rounds.
//!
//! The parts: [`seed`] fills the store the functions read, [`invocations`]
//! builds each function's requests, `in_process` times the handler alone,
//! [`launch`] starts function processes against the [`runtime_api`] and
//! samples their memory, and [`figures`] prints the table.

mod account_api;
mod cold;
mod figures;
mod in_process;
mod invocations;
mod launch;
mod runtime_api;
mod secrets_api;
mod seed;
mod settings;

use std::path::PathBuf;
use std::time::Duration;

use pc_host::catalog;
use pc_http::functions::{Function, Ports};

use figures::Figures;
use in_process::in_process;
use launch::{binary_path, deployed_cold, embedded_runtime, median_init, size_of};
use seed::seed;

/// The delay of the local Secrets Manager's answers in the second init
/// figure: about one TLS connection and request to a regional endpoint.
const SLOW_SECRETS: Duration = Duration::from_millis(25);

/// The representative functions, one or two per kind, present in the table.
fn representatives() -> Vec<&'static Function> {
    [
        "health",
        "auth-me",
        "leads-list",
        "leads-create",
        "meetings-chilipiper-webhook",
        "emails-worker",
        "daily-lead-reminders",
        "realtime-disconnect",
        "realtime-broadcaster",
    ]
    .iter()
    .filter_map(|name| catalog::find(name))
    .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("cold") {
        args.next();
        let binaries = PathBuf::from(args.next().unwrap_or_else(|| "target/release".into()));
        let rounds: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(21);
        let dirs: Vec<PathBuf> = std::iter::once(binaries)
            .chain(args.map(PathBuf::from))
            .collect();
        return cold::compare(&dirs, rounds.max(1)).await;
    }
    let binaries = PathBuf::from(args.next().unwrap_or_else(|| "target/release".into()));
    let runs: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(300);
    let workdir = std::env::temp_dir().join(format!("pc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let seeded = seed(&workdir).await?;

    let hello = binary_path(&binaries, "hello-lambda");
    let baseline = Figures {
        name: "hello-lambda (baseline)",
        kind: "baseline",
        size_bytes: size_of(&hello)?,
        init_aws: median_init(&hello, "hello-lambda", Duration::ZERO).await?,
        secrets: 0,
        init_slow_secrets: None,
        cold_deployed: Some(deployed_cold(&hello, "hello-lambda", "/").await?),
        cold: Duration::ZERO,
        warm_p50: Duration::ZERO,
        warm_p99: Duration::ZERO,
        handler_p50: Duration::ZERO,
        handler_p99: Duration::ZERO,
        peak_rss_kb: 0,
        round_trips: 0,
    };
    let mut all = vec![baseline];
    for function in representatives() {
        let binary = binary_path(&binaries, function.name);
        let size_bytes = size_of(&binary)?;
        let (handler_p50, handler_p99, round_trips) =
            in_process(&workdir, function, &seeded, runs).await?;
        let (cold, warm_p50, warm_p99, peak_rss_kb) =
            embedded_runtime(&binaries, &workdir, function, &seeded, runs).await?;
        let cold_deployed = match (function.ports(), function.method_and_path()) {
            (ports, Some((_, path))) if ports == Ports::default() => {
                Some(deployed_cold(&binary, function.name, &path).await?)
            }
            _ => None,
        };
        all.push(Figures {
            name: function.name,
            kind: function.kind(),
            size_bytes,
            init_aws: median_init(&binary, function.name, Duration::ZERO).await?,
            secrets: function.secrets().len(),
            init_slow_secrets: if function.secrets().is_empty() {
                None
            } else {
                Some(median_init(&binary, function.name, SLOW_SECRETS).await?)
            },
            cold_deployed,
            cold,
            warm_p50,
            warm_p99,
            handler_p50,
            handler_p99,
            peak_rss_kb,
            round_trips,
        });
    }
    figures::print(&all, runs);
    std::fs::remove_dir_all(&workdir).ok();
    Ok(())
}
