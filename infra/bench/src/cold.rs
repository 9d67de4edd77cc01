//! `pc-bench cold [BINARY_DIR] [ROUNDS] [OTHER_DIR...]`: the cold start of
//! real functions beside the floor, a hello-world `lambda_http` binary
//! (`hello-lambda`), measured side by side in one run. Each sample is a
//! fresh process of the deployed binary under the local Runtime API, timed
//! from process start to its answer to its first request, with the CPU
//! time the process used; the rounds take the binaries in turn, so a change
//! of load on the machine falls on all of them. The binaries of each
//! `OTHER_DIR` (a copy of an earlier build) join the same rounds, for a
//! before/after comparison that one load pattern disturbs alike.
//!
//! The functions run as on Lambda: they read their secrets at init from
//! the local AWS endpoint ([`crate::secrets_api`]), then answer a real
//! request (a signed-in partner's, a queue message, a webhook call) through
//! their SDK clients, against a local account holding the seeded partner
//! (each first answer must succeed): loopback HTTP, so the TLS handshake
//! with AWS is not in the figures, its certificates are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use pc_host::catalog;
use pc_platform::config::Secret;
use pc_platform::store::Store;

use crate::figures::percentile;
use crate::invocations::{http_event, invocation};
use crate::launch::{binary_path, cold_start, size_of};
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
    /// The function, and the directory of its binary when it is not the
    /// first one (a before/after comparison).
    label: String,
    binary: PathBuf,
    name: &'static str,
    event: Vec<u8>,
    /// The AWS account's items; `None` for the floor, which calls no AWS.
    account: Option<Arc<dyn Store>>,
    size_bytes: u64,
    inits: Vec<Duration>,
    colds: Vec<Duration>,
    cpus: Vec<Duration>,
    faults: Vec<u64>,
}

impl Samples {
    /// The samples of `dir`'s binary `name`, run from a copy in `workdir`
    /// (the `n`th directory's).
    fn new(
        (n, dir): (usize, &Path),
        workdir: &Path,
        name: &'static str,
        event: Vec<u8>,
        account: Option<Arc<dyn Store>>,
    ) -> anyhow::Result<Self> {
        let built = binary_path(dir, name);
        let size_bytes = size_of(&built)?;
        // Every binary runs from a copy written the same way: the linker
        // writes its output through a memory map, and on this kernel that
        // file faults in at a higher cost than a copy of it (0.3-0.5 ms
        // more CPU time per start for the same bytes), which would bias a
        // comparison of a fresh build with copies of an earlier one.
        let copies = workdir.join(format!("binaries-{n}"));
        std::fs::create_dir_all(&copies)?;
        let binary = copies.join(name);
        std::fs::copy(&built, &binary)?;
        Ok(Self {
            label: if n == 0 {
                name.to_string()
            } else {
                format!("{name} [{}]", dir.display())
            },
            size_bytes,
            binary,
            name,
            event,
            account,
            inits: Vec::new(),
            colds: Vec::new(),
            cpus: Vec::new(),
            faults: Vec::new(),
        })
    }

    async fn sample(&mut self) -> anyhow::Result<()> {
        let start = cold_start(&self.binary, self.name, &self.event, self.account.clone()).await?;
        succeeded(&self.label, &start.answer)?;
        self.inits.push(start.init);
        self.colds.push(start.cold);
        self.cpus.push(start.cpu);
        self.faults.push(start.faults);
        Ok(())
    }
}

/// The machine's load averages (1, 5, 15 minutes), which the wall times
/// depend on.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Compares the binaries of `dirs` (the first one's floor is the ratios'
/// denominator): each round starts every binary of every directory once,
/// in turn, each binary right beside its copies.
pub async fn compare(dirs: &[PathBuf], rounds: usize) -> anyhow::Result<()> {
    let workdir = std::env::temp_dir().join(format!("pc-bench-cold-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    // The seeded store and the binaries' copies go, whether the run
    // finished or not.
    let result = run(dirs, rounds, &workdir).await;
    std::fs::remove_dir_all(&workdir).ok();
    result
}

async fn run(dirs: &[PathBuf], rounds: usize, workdir: &Path) -> anyhow::Result<()> {
    // The seeded store is only where the signed-in partner's token comes
    // from: the functions themselves find an empty table.
    let seeded = seed(workdir).await?;
    let account: Arc<dyn Store> = seeded.store.clone();
    let secret = config()
        .secrets
        .current(Secret::ChilipiperWebhook)?
        .to_string();

    let hello_event = serde_json::to_vec(&http_event("GET", "/", None, json!({}), None))?;
    let mut events = Vec::new();
    for name in FUNCTIONS {
        let function =
            catalog::find(name).ok_or_else(|| anyhow::anyhow!("{name} is not in the catalog"))?;
        events.push((
            name,
            serde_json::to_vec(&invocation(function, &seeded, &secret, 0)?.event)?,
        ));
    }
    let mut all = Vec::new();
    for (n, dir) in dirs.iter().enumerate() {
        all.push(Samples::new(
            (n, dir),
            workdir,
            "hello-lambda",
            hello_event.clone(),
            None,
        )?);
        for (name, event) in &events {
            let account = Some(account.clone());
            all.push(Samples::new(
                (n, dir),
                workdir,
                name,
                event.clone(),
                account,
            )?);
        }
    }
    let started = chrono::Utc::now();
    let load_before = load_average();
    // Each binary beside its copies in the other directories, the
    // directories in a rotating order: whichever runs first in a round
    // measured about 10 % more CPU time than an identical copy after it.
    let per_dir = FUNCTIONS.len() + 1;
    for round in 0..rounds {
        for binary in 0..per_dir {
            for n in 0..dirs.len() {
                let dir = (round + n) % dirs.len();
                all[dir * per_dir + binary].sample().await?;
            }
        }
    }
    println!(
        "\n{} UTC, load average {load_before} at the start, {} at the end",
        started.format("%Y-%m-%d %H:%M:%S"),
        load_average()
    );
    print(&mut all, rounds);
    Ok(())
}

/// Fails the run unless `answer` is a success: a 2xx for an HTTP function,
/// no failed message for a queue worker. A function that failed its first
/// request skipped the work it is measured for.
fn succeeded(label: &str, answer: &[u8]) -> anyhow::Result<()> {
    let answer: serde_json::Value = serde_json::from_slice(answer).unwrap_or_default();
    let status = answer["statusCode"].as_u64();
    let failures = answer["batchItemFailures"].as_array().map(Vec::len);
    match (status, failures) {
        (Some(200..=299), _) | (None, Some(0)) => Ok(()),
        _ => anyhow::bail!("{label} did not succeed at its first request: {answer}"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn print(all: &mut [Samples], rounds: usize) {
    for samples in all.iter_mut() {
        samples.inits.sort();
        samples.colds.sort();
        samples.cpus.sort();
        samples.faults.sort();
    }
    let floor = percentile(&all[0].colds, 0.5).as_secs_f64();
    let floor_cpu = percentile(&all[0].cpus, 0.5).as_secs_f64();
    let width = all.iter().map(|s| s.label.len()).max().unwrap_or(0).max(8);
    println!(
        "\n{:<width$} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>9} {:>8}",
        "function",
        "size MiB",
        "init p50",
        "p50",
        "p90",
        "min",
        "max",
        "CPU p50",
        "CPU min",
        "faults",
        "p50/floor",
        "CPU/floor"
    );
    for s in all.iter() {
        let p50 = percentile(&s.colds, 0.5);
        let cpu = percentile(&s.cpus, 0.5);
        println!(
            "{:<width$} {:>8.2} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>8.2}x {:>7.2}x",
            s.label,
            s.size_bytes as f64 / 1_048_576.0,
            ms(percentile(&s.inits, 0.5)),
            ms(p50),
            ms(percentile(&s.colds, 0.9)),
            ms(s.colds[0]),
            ms(s.colds[s.colds.len() - 1]),
            ms(cpu),
            ms(s.cpus[0]),
            s.faults[s.faults.len() / 2],
            p50.as_secs_f64() / floor,
            cpu.as_secs_f64() / floor_cpu
        );
    }
    println!(
        "\n(init = process start to the first poll of the Runtime API; cold start (p50 .. max) = \
         process start to the answer to the first request, a fresh process each, \
         {rounds} rounds taking the binaries in turn; CPU = user + system time of the process, \
         stopped after its first answer; faults = its page faults, p50; times in ms; the functions read their \
         secrets at init and call DynamoDB, SQS and SES on a local account holding the seeded partner over loopback \
         HTTP; the floor is {}, the smallest lambda_http function)",
        all[0].label
    );
}
