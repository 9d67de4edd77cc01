#!/usr/bin/env bash
# Builds every Lambda function for deploy in ONE cargo invocation (shared
# dependencies compile once, the binaries link in parallel), as x86-64
# Linux release binaries linked by the toolchain's rust-lld with the link
# settings of functions/build.rs, and puts each at
# target/lambda/<name>/bootstrap: the CodeUri of each function in its
# capability's stack (infra/stacks/<capability>.yaml, nested in
# template.yaml). Then `sam deploy` (no `sam build`).
#
# The binaries link against this host's glibc. Lambda's provided.al2023
# has glibc 2.34, so a binary needing a newer symbol version is refused
# here rather than failing at its first cold start; on such a host, build
# in an Amazon Linux 2023 container (or with `cargo lambda build`, which
# links against 2.34 through zig, without functions/build.rs's settings).
#
#   infra/build-functions.sh                    # every function
#   infra/build-functions.sh health auth-me     # some, by name
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
lambda_glibc=2.34
# Every function stays under 8 MiB (docs/benchmarks.md): a bigger binary is
# a dependency pulled in by mistake, and a slower cold start.
max_bytes=$((8 * 1024 * 1024))
# The functions that call Stripe need the `payments` feature (it brings
# async-stripe, minutes of compile time the others never pay); those that
# call HubSpot need `crm` (the HubSpot adapter).
needs_feature() {
  awk -v bin="$1" -v feature="\"$2\"" '/^name = /{current=$3} /^required-features = /{if (current == "\"" bin "\"" && index($0, feature)) found=1} END{exit !found}' functions/Cargo.toml
}
if [ "$#" -eq 0 ]; then
  mapfile -t names < <(awk '/^\[\[bin\]\]/{bin=1} bin && /^name = /{gsub(/"/, "", $3); print $3; bin=0}' functions/Cargo.toml)
  wanted=(payments crm)
else
  names=("$@")
  wanted=()
fi
bins=()
for name in "${names[@]}"; do
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
cargo build --release --locked -p pc-functions "${features[@]}" "${bins[@]}"
for name in "${names[@]}"; do
  binary="$target/release/$name"
  newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  if [ "$(printf '%s\n%s\n' "$newest" "$lambda_glibc" | sort -V | tail -1)" != "$lambda_glibc" ]; then
    echo "$name needs glibc $newest; Lambda's provided.al2023 has $lambda_glibc (see the top of $0)" >&2
    exit 1
  fi
  size=$(stat -c %s "$binary")
  if [ "$size" -gt "$max_bytes" ]; then
    echo "$name is $size bytes, over the 8 MiB limit ($max_bytes bytes)" >&2
    exit 1
  fi
  mkdir -p "target/lambda/$name"
  # A hard link when the target directory is on the same file system
  # (cargo replaces, never rewrites, its outputs), else a copy.
  ln -f "$binary" "target/lambda/$name/bootstrap" 2>/dev/null || cp -f "$binary" "target/lambda/$name/bootstrap"
done
echo "built ${#names[@]} functions in $(( $(date +%s) - start )) s"
