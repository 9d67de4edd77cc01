#!/usr/bin/env bash
# The one test command (README): installs what the tests need when it is
# missing, starts moto's AWS-compatible server on a free loopback port, and
# runs every check: formatting, lints, unit and contract tests against both
# adapters, events/ handler tests, template drift and template lint (with
# AWS's serverless rules), the black-box suites (embedded and against moto),
# and a release build of a representative subset of Lambda functions.
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
missing=()
python3 -c "import moto.server, flask_cors" 2>/dev/null || missing+=("moto[server]>=5,<6")
command -v cfn-lint >/dev/null || missing+=("cfn-lint")
python3 -c "import cfn_lint_serverless" 2>/dev/null || missing+=("cfn-lint-serverless")
command -v sam >/dev/null || missing+=("aws-sam-cli")
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}"
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

step "template lint"
cfn-lint template.yaml
sam validate --lint --region us-east-1 --template-file template.yaml
# AWS's serverless rules: zero findings. The only deliberate exceptions are
# suppressed on their resources in the template (dead-letter queues need no
# redrive policy of their own: ES6000); see docs/operations.md.
cfn-lint --template template.yaml --append-rules cfn_lint_serverless.rules

if [ "${SKIP_RELEASE_BUILD:-0}" != "1" ]; then
  step "release build of one function per kind (rust-lld, as deployed)"
  bash infra/sam-build-subset.sh
fi

step "done"
