#!/usr/bin/env bash
# The one test command (README): installs what the tests need when it is
# missing, starts moto's AWS-compatible server on a free loopback port, and
# runs every check: formatting, lints, unit and contract tests against both
# adapters, events/ handler tests, template drift, the API document's
# consumer checks (infra/apidoc-check.sh), the deploy preflight
# (every stack expanded offline and held to the deploy quotas), template lint
# of every stack (with AWS's serverless rules), the black-box suites
# (embedded and against moto), and a release build of a representative
# subset of Lambda functions.
#
# Environment: SKIP_RELEASE_BUILD=1 leaves out the release subset build
# (a quicker local loop); nothing else can be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() {
  printf '\n== %s (%ss, %s free on disk)\n' "$1" "$(( $(date +%s) - started ))" \
    "$(df -h --output=avail . | tail -1 | tr -d ' ')"
}

step "tools"
python3 -m pip --version >/dev/null
# Pinned, so that an upgrade cannot drop a check silently: cfn-lint 1.51 is
# the last that expands SAM before counting a stack's resources (a newer
# one, pulled in by an unpinned cfn-lint-serverless, did not see a stack of
# 713); aws-sam-cli 1.161.1 is the newest that accepts it, and brings
# aws-sam-translator 1.110.0, the transform the preflight runs.
tools=(
  "moto[server]==5.2.1"
  "cfn-lint==1.51.0"
  "cfn-lint-serverless==0.3.5"
  "aws-sam-cli==1.161.1"
  "aws-sam-translator==1.110.0"
)
if ! python3 - "${tools[@]}" <<'EOF'
import re, sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, version = re.fullmatch(r"([^=\[]+)(?:\[[^\]]*\])?==(.+)", spec).groups()
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
import moto.server, flask_cors  # noqa: F401 (moto's server extra)
EOF
then
  echo "installing: ${tools[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${tools[@]}"
  hash -r
fi

step "moto server"
# infra/moto_server.py is moto's server with DynamoDB requests serialized
# (moto's DynamoDB has no locking; see the script). It stops when its
# standard input closes, i.e. when this script exits.
mkdir -p target
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f target/moto.stdin && mkfifo target/moto.stdin
python3 infra/moto_server.py "$port" < target/moto.stdin > target/moto.log 2>&1 &
moto_pid=$!
exec 7> target/moto.stdin
trap 'exec 7>&-; kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    cat target/moto.log
    echo "moto server did not start: the AWS adapter tests cannot run" >&2
    exit 1
  fi
  sleep 0.2
done
export MOTO_ENDPOINT="http://127.0.0.1:$port"
echo "moto on $MOTO_ENDPOINT"

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "tests (unit, contract on both adapters, events, template drift, black-box on both backends)"
cargo test --workspace --locked --no-fail-fast

step "API document (Redocly's recommended rules, openapi-typescript, schemathesis against the dev server)"
cargo build --locked -p pc-host --bin dev-server
bash infra/apidoc-check.sh

step "deploy preflight (every stack after the SAM transform, against CloudFormation's, IAM's, Lambda's and API Gateway's quotas)"
python3 -m unittest discover -s infra -p 'preflight_test.py'
python3 infra/preflight.py template.yaml

step "template lint (the root stack and every nested stack)"
stacks=(template.yaml infra/stacks/*.yaml)
# cfn-lint's own rules and AWS's serverless rules in one run: zero findings.
# The only deliberate exceptions are suppressed on their resources
# (dead-letter queues need no redrive policy of their own: ES6000; SQS
# sources no on-failure destination: ES1001; the alarm subscription no
# dead-letter queue: ES7000); see docs/operations.md.
cfn-lint --append-rules cfn_lint_serverless.rules -- "${stacks[@]}"
# SAM CLI's own validation, each template (two at a time: mostly start-up).
printf '%s\n' "${stacks[@]}" | xargs -P 2 -I{} sh -c 'sam validate --lint --region us-east-1 --template-file "$1" >/dev/null || { echo "sam validate --lint: $1 is not valid" >&2; exit 255; }' _ {}
echo "sam validate --lint: ${#stacks[@]} templates valid"

if [ "${SKIP_RELEASE_BUILD:-0}" != "1" ]; then
  step "release build of one function per kind (rust-lld, as deployed)"
  bash infra/sam-build-subset.sh
fi

step "done"
