#!/usr/bin/env bash
# The benchmark command (docs/benchmarks.md): builds release binaries of one or two
# representative functions per kind, the benchmark's embedded-function
# stand-in and the hello-lambda baseline, then runs them through a local
# Lambda Runtime API and prints size, init, cold start, warm latency
# p50/p99, peak RSS and store round trips per request.
# Usage: bash infra/bench.sh [WARM_INVOCATIONS]   (default 300)
#        bash infra/bench.sh cold [ROUNDS]        (default 21): cold start of
#        auth-me, leads-list, a worker and a webhook beside the hello-world floor
# The full deploy build times are measured by infra/build-times.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
representatives=(health auth-me leads-list leads-create meetings-chilipiper-webhook emails-worker daily-lead-reminders realtime-disconnect realtime-broadcaster)
bins=()
for name in "${representatives[@]}"; do
  if [ -f "functions/src/bin/$name.rs" ]; then bins+=(--bin "$name"); fi
done
cargo build --release --locked -p pc-functions "${bins[@]}"
cargo build --release --locked -p pc-bench
if [ "${1:-}" = cold ]; then
  "$target/release/pc-bench" cold "$target/release" "${2:-21}"
else
  "$target/release/pc-bench" "$target/release" "${1:-300}"
fi
