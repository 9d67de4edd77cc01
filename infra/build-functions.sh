#!/usr/bin/env bash
# Builds every Lambda function for deploy in ONE cargo invocation (shared
# dependencies compile once, the binaries link in parallel), as x86-64
# Linux release binaries, into target/lambda/<name>/bootstrap: the CodeUri
# of each function in template.yaml. Then `sam deploy` (no `sam build`).
# Needs cargo-lambda (pip install cargo-lambda; zig comes with it).
#
#   infra/build-functions.sh                    # every function
#   infra/build-functions.sh health auth-me     # some, by name
set -euo pipefail
cd "$(dirname "$0")/.."
# The functions that call Stripe need the `payments` feature (it brings
# async-stripe, minutes of compile time the others never pay).
needs_payments() {
  awk -v bin="$1" '/^name = /{current=$3} /^required-features = \["payments"\]/{if (current == "\"" bin "\"") found=1} END{exit !found}' functions/Cargo.toml
}
bins=()
features=()
if [ "$#" -eq 0 ]; then features=(--features payments); fi
for name in "$@"; do
  bins+=(--bin "$name")
  if needs_payments "$name"; then features=(--features payments); fi
done
start=$(date +%s)
cargo lambda build --release --x86-64 --locked -p pc-functions "${features[@]}" "${bins[@]}" --lambda-dir target/lambda
built=$(find target/lambda -mindepth 2 -maxdepth 2 -name bootstrap -newermt "@$start" | wc -l)
echo "built $built functions in $(( $(date +%s) - start )) s"
