#!/usr/bin/env bash
# Proves the release build path (infra/build-functions.sh: rust-lld,
# x86-64, release profile, into each function's CodeUri in its stack under
# infra/stacks/) on one function of
# each kind: HTTP route, webhook on a function URL, queue worker, schedule.
# CI builds these four; `infra/build-functions.sh` with no argument builds
# every function for deploy.
#
#   infra/sam-build-subset.sh                    # the four representatives
#   infra/sam-build-subset.sh auth-sign-in ...   # others, by function name
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  functions=("$@")
else
  functions=(health meetings-chilipiper-webhook emails-worker daily-lead-reminders)
fi

bash infra/build-functions.sh "${functions[@]}"
for function in "${functions[@]}"; do
  artifact="target/lambda/$function/bootstrap"
  test -x "$artifact" || { echo "no $artifact after the build" >&2; exit 1; }
  # Each function is in its capability's stack, CodeUri relative to it.
  grep -qxF "      CodeUri: '../../$(dirname "$artifact")/'" infra/stacks/*.yaml || { echo "no stack of template.yaml deploys $artifact" >&2; exit 1; }
  # ELF e_machine (bytes 18-19): 3e 00 is x86-64.
  [ "$(od -An -tx1 -j18 -N2 "$artifact" | tr -d ' \n')" = "3e00" ] || { echo "$artifact is not an x86-64 binary" >&2; exit 1; }
  echo "$function: $(du -h "$artifact" | cut -f1)"
done
