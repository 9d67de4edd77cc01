//! What reading a function's secrets costs at init
//! (`cargo run --release -p pc-bench --bin secrets-init [-- runs]`).
//!
//! Each sample is a fresh process, as a cold start is: it loads the AWS
//! settings from its environment and then
//! - `clients`: builds the AWS context alone (what init did before);
//! - `secrets`: reads its secrets alone (one `BatchGetSecretValue`);
//! - `joined`: both, as a deployed function does
//!   (`pc_host::lambda::with_secrets`: the read joined with the building).
//!
//! The secrets come from a local Secrets Manager endpoint over plain HTTP on
//! loopback (`secrets_api`), answering at once, then after 25 ms: on Lambda
//! the call is an HTTPS round trip to the region's endpoint (TCP and TLS
//! handshakes, then the request), which loopback does not measure and the
//! 25 ms only stands in for.

use std::process::Command;
use std::time::{Duration, Instant};

use pc_platform::config::{Config, Keyring, Secret};

// The rest of the account the endpoint answers (none of it is read here).
#[path = "../account_api.rs"]
mod account_api;
#[path = "../secrets_api.rs"]
mod secrets_api;
// The benchmark's settings: `secrets_api` serves their secrets.
#[allow(dead_code)]
#[path = "../settings.rs"]
mod settings;

/// The secrets of a function holding one (sign-in, the session signing
/// key) and of those holding the most (the HubSpot routes).
const HELD: [&[Secret]; 2] = [
    &[Secret::JwtSigningKey],
    &[
        Secret::OauthState,
        Secret::Encryption,
        Secret::HubspotClientId,
        Secret::HubspotClientSecret,
    ],
];

const MODES: [&str; 3] = ["clients", "secrets", "joined"];

fn held_config(held: &[Secret]) -> Config {
    let mut config = Config::local_defaults();
    config.secrets = Keyring::to_load(held);
    config.secret_ids = held.iter().map(|s| (*s, secrets_api::arn(*s))).collect();
    config
}

/// One sample, in this (child) process: microseconds of `mode`.
async fn sample(mode: &str, held: &[Secret]) -> anyhow::Result<u128> {
    let config = held_config(held);
    let start = Instant::now();
    match mode {
        "clients" => {
            let ctx = pc_aws::aws_context(config).await;
            drop(ctx);
        }
        "secrets" => {
            let keyring = config.secrets.clone();
            let source = pc_aws::secrets::SecretsManager::new(
                &pc_aws::load_sdk_config().await,
                config.secret_ids.clone(),
            );
            source.load_into(&keyring).await?;
            anyhow::ensure!(
                held.iter().all(|s| keyring.holds(*s)),
                "not every secret read"
            );
        }
        "joined" => {
            let keyring = config.secrets.clone();
            let ctx = pc_host::lambda::with_secrets(config, async |config| {
                pc_aws::aws_context(config).await
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            drop(ctx);
            anyhow::ensure!(
                held.iter().all(|s| keyring.holds(*s)),
                "not every secret read"
            );
        }
        other => anyhow::bail!("unknown mode {other}"),
    }
    Ok(start.elapsed().as_micros())
}

/// The median and the slowest of `runs` child processes measuring `mode`.
fn measure(url: &str, mode: &str, held: usize, runs: usize) -> anyhow::Result<(f64, f64)> {
    let exe = std::env::current_exe()?;
    let mut micros = Vec::new();
    for _ in 0..runs {
        let out = Command::new(&exe)
            .args(["--sample", mode, &held.to_string()])
            .env("AWS_ENDPOINT_URL", url)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        micros.push(String::from_utf8(out.stdout)?.trim().parse::<u128>()?);
    }
    micros.sort();
    let ms = |us: u128| us as f64 / 1000.0;
    Ok((ms(micros[micros.len() / 2]), ms(micros[micros.len() - 1])))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--sample") {
        let held = HELD[args[3].parse::<usize>()?];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        println!("{}", runtime.block_on(sample(&args[2], held))?);
        return Ok(());
    }
    let runs: usize = args.get(1).map(|r| r.parse()).transpose()?.unwrap_or(15);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "{:<10} {:>7} {:<8} {:>10} {:>10}",
        "endpoint", "secrets", "mode", "p50 ms", "max ms"
    );
    for delay in [Duration::ZERO, Duration::from_millis(25)] {
        let api = runtime.block_on(secrets_api::SecretsApi::start(delay, None))?;
        for (index, held) in HELD.iter().enumerate() {
            for mode in MODES {
                if mode == "clients" && index > 0 {
                    continue; // the same clients whatever the secrets
                }
                let (p50, max) = measure(&api.url, mode, index, runs)?;
                println!(
                    "{:<10} {:>7} {:<8} {:>10.2} {:>10.2}",
                    format!("+{} ms", delay.as_millis()),
                    if mode == "clients" { 0 } else { held.len() },
                    mode,
                    p50,
                    max
                );
            }
        }
    }
    println!(
        "\n(each a fresh process: AWS settings loaded from the environment, then the AWS context \
         built, the secrets read with one BatchGetSecretValue, or both joined as a deployed \
         function does; the local Secrets Manager endpoint is plain HTTP on loopback, answering at \
         once (+0 ms) or after 25 ms (+25 ms), about one TLS round trip to Secrets Manager on \
         Lambda, which this does not measure: there the call is HTTPS, TCP and TLS handshakes \
         included; {runs} runs each)"
    );
    Ok(())
}
