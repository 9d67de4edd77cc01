#!/usr/bin/env bash
# The release path on a representative subset, as CI runs it: one function
# of each kind built by cargo-lambda exactly as `sam build` does for
# `BuildMethod: rust-cargolambda` (target/lambda/<name>/bootstrap), then
# `sam build` of one function through SAM itself. Building all ~80
# functions in release takes far longer than CI allows on two cores; the
# full build is `sam build --beta-features` (see infra/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
subset=(health auth-sign-in meetings-chilipiper-webhook emails-worker daily-lead-reminders)
args=()
for name in "${subset[@]}"; do args+=(--bin "$name"); done
cargo lambda build --release --x86-64 -p pc-functions "${args[@]}"
for name in "${subset[@]}"; do
  artifact="target/lambda/$name/bootstrap"
  [ -x "$artifact" ] || { echo "missing $artifact" >&2; exit 1; }
  awk -v n="$name" -v b="$(stat -c %s "$artifact")" 'BEGIN { printf "%-32s %6.2f MB\n", n, b / 1048576 }'
done
sam build HealthFunction --beta-features --region us-east-1 --template-file template.yaml --build-dir target/sam-build
[ -x target/sam-build/HealthFunction/bootstrap ] || { echo "sam build produced no bootstrap" >&2; exit 1; }
echo "sam build: HealthFunction ok"
