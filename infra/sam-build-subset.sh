#!/usr/bin/env bash
# Proves the release build path (`sam build`: cargo-lambda, x86_64, release
# profile) on one function of each kind: HTTP route, webhook on a function
# URL, queue worker, schedule. Building all ~80 functions this way does not
# fit a small CI runner; every other binary still compiles in the ordinary
# workspace build. Needs: sam and cargo-lambda (pip install aws-sam-cli
# cargo-lambda; zig comes with cargo-lambda).
#
#   infra/sam-build-subset.sh                 # the four representatives
#   infra/sam-build-subset.sh AuthSignInFunction ...   # others, by logical id
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  functions=("$@")
else
  functions=(HealthFunction MeetingsChilipiperWebhookFunction EmailsWorkerFunction DailyLeadRemindersFunction)
fi

for function in "${functions[@]}"; do
  start=$(date +%s)
  sam build "$function" --beta-features --no-cached --region us-east-1 --build-dir .aws-sam/build
  artifact=".aws-sam/build/$function/bootstrap"
  test -x "$artifact" || { echo "no $artifact after sam build $function" >&2; exit 1; }
  # ELF e_machine (bytes 18-19): 3e 00 is x86-64.
  [ "$(od -An -tx1 -j18 -N2 "$artifact" | tr -d ' \n')" = "3e00" ] || { echo "$artifact is not an x86-64 binary" >&2; exit 1; }
  echo "$function: $(du -h "$artifact" | cut -f1) in $(( $(date +%s) - start )) s"
done
