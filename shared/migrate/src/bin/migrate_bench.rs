//! The migration benchmark: generates a dump in the original system's
//! shape (100 partners, 500 users, `LEADS` leads, about one meeting per
//! two leads, 1 % duplicate emails) and migrates it into the embedded
//! store under a fresh temporary `DATA_DIR`, or into DynamoDB when
//! `AWS_ENDPOINT_URL` is set (a fresh table). Prints leads per second
//! and the peak resident memory (VmHWM) of the migration.
//!
//! `LEADS=1000000 cargo run --profile migrate -p pc-migrate --bin migrate-bench`
//!
//! For trials: `RECORDS_PER_COMMIT` (records per commit of the embedded
//! store's bulk load) and `CACHE_MB` (its page cache) override the
//! migration's defaults.

use std::time::Instant;

use pc_migrate::{Options, backend, generate, migrate_to};

/// mimalloc rather than the system allocator: the embedded store's page
/// cache allocates and frees a 4 KiB buffer per page read, and glibc's
/// malloc spent about a fifth of a migration's CPU time on them
/// (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU seconds this process has used so far: (user, system).
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage fills the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

/// The machine's load averages (1, 5, 15 minutes): on a shared machine
/// the wall time depends on them, the CPU time much less.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Bytes this process made the kernel write to disk and (`wchar`) wrote
/// through system calls, from /proc/self/io.
fn bytes_written() -> Option<(u64, u64)> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        io.lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .parse()
            .ok()
    };
    Some((field("write_bytes:")?, field("wchar:")?))
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|n| n.parse().ok())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let leads = env_number("LEADS").unwrap_or(100_000);
    let work = std::env::temp_dir().join(format!("pc-migrate-bench-{}", std::process::id()));
    let dump = work.join("dump");
    std::fs::create_dir_all(&dump)?;
    let started = Instant::now();
    generate::bench_dump(&dump, leads)?;
    println!(
        "generated {leads} leads in {:.1} s (rss so far {:.0} MB)",
        started.elapsed().as_secs_f64(),
        peak_rss_mb().unwrap_or_default()
    );
    let target = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let sdk = pc_aws::local_sdk_config(&endpoint).await;
            let table = format!("migrate-bench-{}", std::process::id());
            pc_aws::bootstrap::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;
            backend::dynamodb(&sdk, &table, &endpoint)
        }
        _ => match env_number("CACHE_MB") {
            Some(mb) => backend::embedded_with_cache(&work.join("data"), (mb as usize) << 20)?,
            None => backend::embedded(&work.join("data"))?,
        },
    };
    println!("load average at the start: {}", load_average());
    let started = Instant::now();
    let (user_before, system_before) = cpu_seconds();
    let (disk_before, calls_before) = bytes_written().unwrap_or_default();
    let mut options = Options::new(&dump);
    if let Some(n) = env_number("RECORDS_PER_COMMIT") {
        options.records_per_commit = n;
    }
    println!(
        "records per commit (embedded store): {}",
        options.records_per_commit
    );
    let report = migrate_to(&target, &options).await?;
    target.sync()?;
    let seconds = started.elapsed().as_secs_f64();
    let (user_after, system_after) = cpu_seconds();
    let (user, system) = (user_after - user_before, system_after - system_before);
    let (disk_after, calls_after) = bytes_written().unwrap_or_default();
    let store_bytes =
        std::fs::metadata(work.join("data").join("store.redb")).map_or(0, |m| m.len());
    let counts = &report.counts["leads"];
    let rows: u64 = report.counts.values().map(|c| c.written).sum();
    println!("{}", report.render());
    println!("load average at the end: {}", load_average());
    println!(
        "target: {}\nleads read {} written {} merged {}; {seconds:.1} s (verification included); {:.0} leads/s; {:.0} records/s; CPU {user:.1} s user + {system:.1} s system: {:.0} leads per CPU-second; peak RSS {:.0} MB",
        target.description,
        counts.read,
        counts.written,
        counts.merged,
        counts.read as f64 / seconds,
        rows as f64 / seconds,
        counts.read as f64 / (user + system),
        peak_rss_mb().unwrap_or_default()
    );
    let gb = |b: u64| b as f64 / 1e9;
    println!(
        "written: {:.2} GB to disk, {:.2} GB through write calls; store file {:.2} GB",
        gb(disk_after - disk_before),
        gb(calls_after - calls_before),
        gb(store_bytes)
    );
    drop(target);
    std::fs::remove_dir_all(&work)?;
    Ok(())
}
