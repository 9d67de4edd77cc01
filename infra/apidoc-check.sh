#!/usr/bin/env bash
# The API document as its consumers read it (part of infra/test.sh), at
# zero findings:
# - Redocly CLI's recommended rules (redocly.yaml, and the few documented
#   exceptions in .redocly.lint-ignore.yaml);
# - openapi-typescript: the generated types have no empty object
#   (`Record<string, never>`) for a body or a schema;
# - schemathesis against the dev server (embedded backend, a fresh data
#   directory, signed in as the seeded owner): every answer's status code,
#   content type and body are the ones the document declares, and no
#   answer is a server error.
#
# The tools are pinned: the npm ones in infra/apidoc/package-lock.json
# (installed with `npm ci`), schemathesis below, in its own virtual
# environment under target/ (its dependencies would otherwise move the
# ones the SAM CLI and cfn-lint are pinned with). Expects a debug build of
# the dev server (`cargo build -p pc-host --bin dev-server`, which the test
# step has already made).
#
# Environment: SCHEMATHESIS_EXAMPLES (default 10) bounds the generated
# cases per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

schemathesis_version=4.32.5
examples=${SCHEMATHESIS_EXAMPLES:-10}
work=target/apidoc
mkdir -p "$work"

if ! command -v npm >/dev/null; then
  echo "installing Node.js and npm (Debian's)"
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# `npm ci` again only when the lock file changed since the last install.
stamp=infra/apidoc/node_modules/.installed-from-lock
if ! cmp -s infra/apidoc/package-lock.json "$stamp" 2>/dev/null; then
  (cd infra/apidoc && npm ci --no-audit --no-fund --loglevel=error)
  cp infra/apidoc/package-lock.json "$stamp"
fi
venv=$work/venv
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    echo "installing Debian's python3-venv"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv" && python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

echo "-- Redocly, recommended rules"
infra/apidoc/node_modules/.bin/redocly lint --format=stylish 2>&1 | grep -v '[║╔╚]'
test "${PIPESTATUS[0]}" -eq 0

echo "-- openapi-typescript"
# Run where no redocly.yaml is: it would apply the rules without their
# documented exceptions.
(cd infra/apidoc && node_modules/.bin/openapi-typescript ../../docs/openapi.json -o "../../$work/api.d.ts")
# The two top-level maps the document leaves empty on purpose (no OpenAPI
# webhooks section, no $defs) are the only empty types allowed.
if grep -n 'Record<string, never>' "$work/api.d.ts" | grep -v -E 'export type (webhooks|\$defs) = Record<string, never>;'; then
  echo "openapi-typescript: the lines above type a body or schema as an empty object" >&2
  exit 1
fi
echo "no empty body type in $(wc -l < "$work/api.d.ts") lines of types"

echo "-- schemathesis against the dev server"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
PORT=$port DATA_DIR=$data RUST_LOG=warn target/debug/dev-server > "$work/dev-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  curl -sf "$base/health" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$work/dev-server.log"; exit 1; }
  sleep 0.2
done
# The owner the dev server seeds (its documented defaults), signed in: a
# bearer token reaches every session route. Signing out would end that
# session for the rest of the run, so sign-out is the one operation left
# out (the black-box suite covers it).
token=$(curl -sf -c - -X POST "$base/auth/sign-in" -H 'content-type: application/json' \
  -d '{"email":"owner@partner-connector.local","password":"Owner-Password-1"}' \
  | awk '$6 == "accessToken" {print $7}')
test -n "$token" || { echo "could not sign in to the dev server" >&2; exit 1; }
"$venv/bin/schemathesis" run docs/openapi.json --url "$base" \
  -H "Authorization: Bearer $token" \
  --exclude-operation-id sign_out \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-examples "$examples" --seed 20261207 \
  --generation-database none --no-color --warnings off \
  --report junit --report-junit-path "$work/schemathesis.xml"
