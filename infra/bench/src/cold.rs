//! `pc-bench cold [BINARY_DIR] [ROUNDS]`: the cold start of real functions
//! beside the floor, a hello-world `lambda_http` binary (`hello-lambda`),
//! measured side by side in one run. Each sample is a fresh process of the
//! deployed binary under the local Runtime API, timed from process start
//! to its answer to its first request; the rounds take the binaries in
//! turn, so a change of load on the machine falls on all of them.
//!
//! The functions run as on Lambda: they read their secrets at init from
//! the local AWS endpoint ([`crate::secrets_api`]), then answer a real
//! request (a signed-in partner's, a queue message, a webhook call) through
//! their SDK clients, against an empty account: loopback HTTP, so the TLS
//! handshake with AWS is not in the figures, its certificates are.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use pc_host::catalog;
use pc_platform::config::Secret;

use crate::figures::percentile;
use crate::invocations::{http_event, invocation};
use crate::launch::{ColdStart, binary_path, cold_start, size_of};
use crate::seed::seed;
use crate::settings::config;

/// An API read of a signed-in user, an API list, a queue worker and a
/// webhook.
const FUNCTIONS: [&str; 4] = [
    "auth-me",
    "leads-list",
    "emails-worker",
    "meetings-chilipiper-webhook",
];

struct Samples {
    name: &'static str,
    size_bytes: u64,
    inits: Vec<Duration>,
    colds: Vec<Duration>,
}

impl Samples {
    fn push(&mut self, start: ColdStart) {
        self.inits.push(start.init);
        self.colds.push(start.cold);
    }
}

pub async fn compare(binaries: &Path, rounds: usize) -> anyhow::Result<()> {
    let workdir = std::env::temp_dir().join(format!("pc-bench-cold-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    // The seeded store is only where the signed-in partner's token comes
    // from: the functions themselves find an empty table.
    let seeded = seed(&workdir).await?;
    let secret = config()
        .secrets
        .current(Secret::ChilipiperWebhook)?
        .to_string();

    let hello = binary_path(binaries, "hello-lambda");
    let hello_event = serde_json::to_vec(&http_event("GET", "/", None, json!({}), None))?;
    let mut runs = Vec::new();
    for name in FUNCTIONS {
        let function =
            catalog::find(name).ok_or_else(|| anyhow::anyhow!("{name} is not in the catalog"))?;
        let event = serde_json::to_vec(&invocation(function, &seeded, &secret, 0)?.event)?;
        runs.push((name, binary_path(binaries, name), event));
    }

    let mut all = vec![Samples {
        name: "hello-lambda",
        size_bytes: size_of(&hello)?,
        inits: Vec::new(),
        colds: Vec::new(),
    }];
    for (name, binary, _) in &runs {
        all.push(Samples {
            name,
            size_bytes: size_of(binary)?,
            inits: Vec::new(),
            colds: Vec::new(),
        });
    }
    for _ in 0..rounds {
        all[0].push(cold_start(&hello, "hello-lambda", &hello_event, false).await?);
        for (samples, (name, binary, event)) in all[1..].iter_mut().zip(&runs) {
            samples.push(cold_start(binary, name, event, true).await?);
        }
    }
    std::fs::remove_dir_all(&workdir).ok();
    print(&mut all, rounds);
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn print(all: &mut [Samples], rounds: usize) {
    for samples in all.iter_mut() {
        samples.inits.sort();
        samples.colds.sort();
    }
    let floor = percentile(&all[0].colds, 0.5).as_secs_f64();
    println!(
        "\n{:<28} {:>10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "function", "size MiB", "init p50", "p50", "p90", "min", "max", "p50/floor"
    );
    for s in all.iter() {
        let p50 = percentile(&s.colds, 0.5);
        println!(
            "{:<28} {:>10.2} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8.2}x",
            s.name,
            s.size_bytes as f64 / 1_048_576.0,
            ms(percentile(&s.inits, 0.5)),
            ms(p50),
            ms(percentile(&s.colds, 0.9)),
            ms(s.colds[0]),
            ms(s.colds[s.colds.len() - 1]),
            p50.as_secs_f64() / floor
        );
    }
    println!(
        "\n(init = process start to the first poll of the Runtime API; cold start (p50 .. max) = \
         process start to the answer to the first request, a fresh process each, \
         {rounds} rounds taking the binaries in turn; times in ms; the functions read their \
         secrets at init and call DynamoDB, SQS and SES on a local empty account over loopback \
         HTTP; the floor is hello-lambda, the smallest lambda_http function)"
    );
}
