//! The figures of each function and the table they are printed as.

use std::time::Duration;

/// Figures of one function.
pub struct Figures {
    pub name: &'static str,
    pub kind: &'static str,
    pub size_bytes: u64,
    /// Process start to the first poll of the Runtime API, on the AWS
    /// adapters: what Lambda reports as Init Duration.
    pub init_aws: Duration,
    /// How many secrets the function reads at init.
    pub secrets: usize,
    /// Init when Secrets Manager answers after 25 ms.
    pub init_slow_secrets: Option<Duration>,
    /// Process start to first answer of the deployed binary, when it needs
    /// no AWS service to answer.
    pub cold_deployed: Option<Duration>,
    pub cold: Duration,
    pub warm_p50: Duration,
    pub warm_p99: Duration,
    pub handler_p50: Duration,
    pub handler_p99: Duration,
    pub peak_rss_kb: u64,
    pub round_trips: usize,
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Prints the figures of `all`, `runs` being the warm invocations each.
pub fn print(all: &[Figures], runs: usize) {
    println!(
        "\n{:<10} {:<28} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>7} {:>6}",
        "kind",
        "function",
        "size MB",
        "secrets",
        "init AWS",
        "init +25",
        "cold dep",
        "cold emb",
        "warm p50",
        "warm p99",
        "handler50",
        "handler99",
        "RSS MB",
        "trips"
    );
    for f in all {
        println!(
            "{:<10} {:<28} {:>8.2} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>7.1} {:>6}",
            f.kind,
            f.name,
            f.size_bytes as f64 / 1_048_576.0,
            f.secrets,
            ms(f.init_aws),
            f.init_slow_secrets.map(ms).unwrap_or_else(|| "-".into()),
            f.cold_deployed.map(ms).unwrap_or_else(|| "-".into()),
            ms(f.cold),
            ms(f.warm_p50),
            ms(f.warm_p99),
            ms(f.handler_p50),
            ms(f.handler_p99),
            f.peak_rss_kb as f64 / 1024.0,
            f.round_trips
        );
    }
    println!(
        "\n(secrets = secrets read at init; init AWS = process start to the first Runtime API poll by \
         the deployed binary, its AWS adapters built and its secrets read from a local Secrets \
         Manager endpoint over plain HTTP on loopback, median of 5: Lambda's Init Duration less the \
         network; init +25 = the same when that endpoint answers after 25 ms, about one TLS round \
         trip to Secrets Manager on Lambda; cold dep = process start to the first \
         answer of the deployed binary, for functions that need no AWS service, median of 5; cold emb \
         = the same for the handler in the benchmark's embedded-function binary, opening the store \
         file included; warm = through the Runtime API in that process, {runs} invocations; handler \
         = in process; RSS = peak of that process; trips = store round trips per request; times in ms)"
    );
}
