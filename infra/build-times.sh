#!/usr/bin/env bash
# Times the deploy build of every function (infra/build-functions.sh) from an
# empty target directory, then again after a one-line change in
# shared/leads (which every function links), and prints both with the load.
# Slow by design (a whole release build): run it alone.
#   bash infra/build-times.sh [TARGET_DIR]    # default: a new temporary dir
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${1:-$(mktemp -d)}"
leads=shared/leads/src/lib.rs
backup=$(mktemp)
cp "$leads" "$backup"
trap 'cp "$backup" "$leads"; rm -f "$backup"' EXIT

echo "load before: $(uptime)"
start=$(date +%s)
bash infra/build-functions.sh
cold=$(( $(date +%s) - start ))
echo "load after the cold build: $(uptime)"

echo "// build-times: a one-line change" >> "$leads"
start=$(date +%s)
bash infra/build-functions.sh
changed=$(( $(date +%s) - start ))
echo "load after the rebuild: $(uptime)"

size() { stat -c %s "target/lambda/$1/bootstrap"; }
echo "every function from clean: $((cold / 60)) min $((cold % 60)) s"
echo "after a one-line change in shared/leads: $((changed / 60)) min $((changed % 60)) s"
echo "artifacts: $(find target/lambda -name bootstrap | wc -l) bootstraps, $(du -shL target/lambda | cut -f1) in all"
echo "sizes (bytes), smallest and largest:"
find target/lambda -name bootstrap -printf '%s %h\n' | sed 's|target/lambda/||' | sort -n | sed -n '1,3p;$p'
echo "over 8 MB: $(find target/lambda -name bootstrap -size +7812k | wc -l)"
