//! Function processes started as Lambda starts them, against the local
//! [`crate::runtime_api`]: init, cold start and warm latency of the
//! deployed binaries and of the `embedded-function` stand-in, the peak RSS
//! sampled from `/proc`, and where the binaries and their sizes are.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use pc_http::functions::Function;
use pc_platform::store::Store;

use crate::figures::percentile;
use crate::invocations::{http_event, invocation};
use crate::runtime_api::RuntimeApi;
use crate::secrets_api::SecretsApi;
use crate::seed::Seeded;
use crate::settings::{EMBEDDED_STORE_DIR, config, lambda_env};

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// The function binary as Lambda starts it: the Runtime API's address, the
/// function's identity and its settings, nothing else from this process.
fn lambda_command(binary: &Path, api: &RuntimeApi, function: &str) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .envs(lambda_env())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// Ends a function process the benchmark started (std's `Command`: the
/// benchmark shares the functions' dependency tree, tokio features
/// included, so its release build reuses theirs).
fn stop(child: &mut std::process::Child) {
    child.kill().ok();
    child.wait().ok();
}

/// Init on the AWS adapters, as deployed: process start to the first poll
/// of the Runtime API. The function's secrets are read from a local
/// Secrets Manager endpoint answering after `secrets_delay`; no other AWS
/// call happens before the first event.
async fn aws_init(
    binary: &Path,
    function: &str,
    secrets_delay: Duration,
) -> anyhow::Result<Duration> {
    let api = RuntimeApi::start().await?;
    let secrets = SecretsApi::start(secrets_delay, None).await?;
    let mut command = lambda_command(binary, &api, function);
    command
        .env("AWS_ENDPOINT_URL", &secrets.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench");
    let started = Instant::now();
    let mut child = command.spawn()?;
    let polled = api
        .first_poll()
        .await
        .with_context(|| format!("{function} never polled the Runtime API"))?;
    stop(&mut child);
    Ok(polled - started)
}

/// Cold start, warm latency and peak RSS of a function process started by
/// `command`, answering the events of `event` (invocation number → event).
async fn through_runtime(
    api: RuntimeApi,
    mut command: std::process::Command,
    name: &str,
    runs: usize,
    event: impl Fn(usize) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<(Duration, Duration, Duration, u64)> {
    let first = event(0)?;
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let answer = api.invoke(&first).await?;
    let cold = started.elapsed();
    if let Err(e) = answer {
        bail!("{name} failed its first invocation: {e}");
    }
    let mut timings = Vec::with_capacity(runs);
    for n in 1..=runs {
        let event = event(n)?;
        let started = Instant::now();
        if let Err(e) = api.invoke(&event).await? {
            bail!("{name} failed invocation {n}: {e}");
        }
        timings.push(started.elapsed());
    }
    let rss = peak_rss_kb(child.id());
    stop(&mut child);
    timings.sort();
    Ok((
        cold,
        percentile(&timings, 0.5),
        percentile(&timings, 0.99),
        rss,
    ))
}

/// The function's handler through the Runtime API on the seeded store, in
/// the benchmark's `embedded-function` process.
pub async fn embedded_runtime(
    binaries: &Path,
    dir: &Path,
    function: &'static Function,
    seeded: &Seeded,
    runs: usize,
) -> anyhow::Result<(Duration, Duration, Duration, u64)> {
    let api = RuntimeApi::start().await?;
    let secret = config()
        .secrets
        .current(pc_platform::config::Secret::ChilipiperWebhook)?
        .to_string();
    let mut command = lambda_command(
        &binary_path(binaries, "embedded-function"),
        &api,
        function.name,
    );
    command.arg(function.name).env(EMBEDDED_STORE_DIR, dir);
    through_runtime(api, command, function.name, runs, |n| {
        Ok(serde_json::to_vec(
            &invocation(function, seeded, &secret, n)?.event,
        )?)
    })
    .await
}

/// Median of five cold starts of a deployed binary that answers without
/// any AWS service (`GET path`), to its first answer.
pub async fn deployed_cold(binary: &Path, name: &str, path: &str) -> anyhow::Result<Duration> {
    let event = serde_json::to_vec(&http_event("GET", path, None, json!({}), None))?;
    let mut colds = Vec::new();
    for _ in 0..5 {
        colds.push(cold_start(binary, name, &event, None).await?.cold);
    }
    colds.sort();
    Ok(colds[colds.len() / 2])
}

/// Ends a function process and reaps it itself (`wait4`), for the CPU time
/// (user + system) the process used, unlike wall time barely moved by the
/// other processes of a shared machine, and its page faults.
fn stop_for_usage(child: &mut std::process::Child) -> anyhow::Result<(Duration, u64)> {
    child.kill().ok();
    let pid = libc::pid_t::try_from(child.id())?;
    // SAFETY: wait4 writes the status and the usage it is given and reads
    // nothing else; the process is this one's child, not reaped before
    // (std's `Child` reaps only in `wait`/`try_wait`, not called here).
    let (reaped, usage) = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        let mut status = 0;
        let reaped = libc::wait4(pid, &mut status, 0, &mut usage);
        (reaped, usage)
    };
    if reaped != pid {
        bail!("wait4 of {pid}: {}", std::io::Error::last_os_error());
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let faults = u64::try_from(usage.ru_minflt + usage.ru_majflt).unwrap_or(0);
    Ok((time(usage.ru_utime) + time(usage.ru_stime), faults))
}

/// One cold start: process start to the first poll of the Runtime API
/// (init) and to the answer to the first request (cold), and the CPU time
/// and page faults of the process, which also hold its second poll (it is
/// stopped after its first answer).
pub struct ColdStart {
    pub init: Duration,
    pub cold: Duration,
    pub cpu: Duration,
    pub faults: u64,
    /// The function's answer to its first request.
    pub answer: Vec<u8>,
}

/// One cold start of a deployed binary, a fresh process answering `event`.
/// With an `account`, its AWS endpoint is a local account ([`SecretsApi`])
/// holding its secrets and, for DynamoDB reads, the account's items, as on
/// Lambda: it reads its secrets at init and calls its services through its
/// SDK clients.
pub async fn cold_start(
    binary: &Path,
    name: &str,
    event: &[u8],
    account: Option<Arc<dyn Store>>,
) -> anyhow::Result<ColdStart> {
    let api = RuntimeApi::start().await?;
    let mut command = lambda_command(binary, &api, name);
    if let Some(seeded) = account {
        let account = SecretsApi::start(Duration::ZERO, Some(seeded)).await?;
        command
            .env("AWS_ENDPOINT_URL", &account.url)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench");
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let answer = api.invoke(event).await;
    let cold = started.elapsed();
    let polled = api.first_poll().await;
    let (cpu, faults) = stop_for_usage(&mut child)?;
    let answer = match answer? {
        Ok(answer) => answer,
        Err(e) => bail!("{name} failed its first invocation: {e}"),
    };
    let polled = polled.with_context(|| format!("{name} never polled the Runtime API"))?;
    Ok(ColdStart {
        init: polled - started,
        cold,
        cpu,
        faults,
        answer,
    })
}

/// Median of five inits of a binary, its secrets answered after
/// `secrets_delay`.
pub async fn median_init(
    binary: &Path,
    name: &str,
    secrets_delay: Duration,
) -> anyhow::Result<Duration> {
    let mut inits = Vec::new();
    for _ in 0..5 {
        inits.push(aws_init(binary, name, secrets_delay).await?);
    }
    inits.sort();
    Ok(inits[inits.len() / 2])
}

/// Binary `name` under `dir`: cargo's layout (`dir/name`) or cargo-lambda's
/// (`dir/name/bootstrap`, as `infra/build-functions.sh` builds them).
pub fn binary_path(dir: &Path, name: &str) -> PathBuf {
    let lambda = dir.join(name).join("bootstrap");
    if lambda.is_file() {
        lambda
    } else {
        dir.join(name)
    }
}

pub fn size_of(binary: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(binary)
        .with_context(|| {
            format!(
                "{} is not built (bash infra/bench.sh builds it)",
                binary.display()
            )
        })?
        .len())
}
