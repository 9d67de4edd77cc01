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
# async-stripe, minutes of compile time the others never pay); those that
# call HubSpot need `crm` (the HubSpot adapter).
needs_feature() {
  awk -v bin="$1" -v feature="\"$2\"" '/^name = /{current=$3} /^required-features = /{if (current == "\"" bin "\"" && index($0, feature)) found=1} END{exit !found}' functions/Cargo.toml
}
bins=()
wanted=()
if [ "$#" -eq 0 ]; then wanted=(payments crm); fi
for name in "$@"; do
  bins+=(--bin "$name")
  for feature in payments crm; do
    if needs_feature "$name" "$feature"; then wanted+=("$feature"); fi
  done
done
features=()
if [ "${#wanted[@]}" -gt 0 ]; then
  features=(--features "$(printf '%s\n' "${wanted[@]}" | sort -u | paste -sd, -)")
fi
start=$(date +%s)
cargo lambda build --release --x86-64 --locked -p pc-functions "${features[@]}" "${bins[@]}" --lambda-dir target/lambda
built=$(find target/lambda -mindepth 2 -maxdepth 2 -name bootstrap -newermt "@$start" | wc -l)
echo "built $built functions in $(( $(date +%s) - start )) s"
