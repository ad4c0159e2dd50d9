#!/usr/bin/env bash
# Real-client conformance: jsforce, the Salesforce CLI (sf) and simple_salesforce, installed from
# their registries into .tools/, each run against its own `sfmap emulate` (plain HTTP for the
# Node clients, --tls for simple_salesforce, which only speaks https). Every script asserts on
# what the client reports and, through raw HTTP, on the records that end up in the emulator.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOOLS=$ROOT/.tools
HERE=$ROOT/tests/conformance

# --- clients ------------------------------------------------------------------------------------
if [ ! -x "$TOOLS/npm/node_modules/.bin/sf" ] || [ ! -d "$TOOLS/npm/node_modules/jsforce" ] \
   || ! cmp -s "$HERE/package-lock.json" "$TOOLS/npm/package-lock.json"; then
  echo "conformance: installing jsforce and @salesforce/cli into .tools/npm"
  mkdir -p "$TOOLS/npm"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$TOOLS/npm/"
  (cd "$TOOLS/npm" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d "$TOOLS/py/simple_salesforce" ]; then
  echo "conformance: installing simple_salesforce into .tools/py"
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/py" simple_salesforce==1.12.10
fi

# --- emulator -----------------------------------------------------------------------------------
cargo build --quiet --locked --bin sfmap
BIN=$ROOT/target/debug/sfmap
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sfmap-conformance.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# 2,100 records to page through (more than one 2,000-record page), loaded with --seed.
python3 -c 'import json
for i in range(2100): print(json.dumps({"attributes": {"type": "Account"}, "Name": "Page %04d" % i}))' > "$WORK/pages.jsonl"

# start NAME [ARGS…]: starts an emulator on a free port and exports NAME_URL, NAME_TOKEN, …
start() {
  local name=$1; shift
  "$BIN" emulate --schema "$HERE/schema.json" --seed "$WORK/pages.jsonl" "$@" > "$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    grep -q "Press Ctrl-C" "$WORK/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  if ! grep -q "Press Ctrl-C" "$WORK/$name.out"; then
    cat "$WORK/$name.out"; echo "conformance: emulator $name did not start"; exit 1
  fi
  field() { grep "$1" "$WORK/$name.out" | head -1 | sed 's/^[^:]*:[[:space:]]*//'; }
  export EMU_URL EMU_CLIENT_ID EMU_CLIENT_SECRET EMU_USERNAME EMU_PASSWORD EMU_TOKEN EMU_JWT_KEY EMU_CERT
  EMU_URL=$(field "URL (login + instance)")
  EMU_CLIENT_ID=$(field "client id")
  EMU_CLIENT_SECRET=$(field "client secret")
  EMU_USERNAME=$(field "username")
  EMU_PASSWORD=$(field "password")
  EMU_TOKEN=$(field "access token")
  EMU_JWT_KEY=$(field "JWT signing key")
  EMU_CERT=$(field "TLS certificate" || true)
}

FAILED=0
run() {
  local name=$1; shift
  echo "conformance: $name"
  if "$@"; then echo "conformance: $name passed"; else echo "conformance: $name FAILED"; FAILED=1; fi
}

start jsforce
run "jsforce $(node -p 'require(process.argv[1]).version' "$TOOLS/npm/node_modules/jsforce/package.json")" \
  env NODE_PATH="$TOOLS/npm/node_modules" node "$HERE/jsforce.js"

start sfcli
run "sf CLI $("$TOOLS/npm/node_modules/.bin/sf" --version 2>/dev/null | cut -d' ' -f1)" \
  env PATH="$TOOLS/npm/node_modules/.bin:$PATH" WORK="$WORK" bash "$HERE/sf.sh"

start simple_salesforce --tls
run "simple_salesforce 1.12.10" \
  env PYTHONPATH="$TOOLS/py" REQUESTS_CA_BUNDLE="$EMU_CERT" python3 "$HERE/simple_salesforce_check.py"

exit $FAILED
