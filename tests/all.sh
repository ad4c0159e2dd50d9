#!/usr/bin/env bash
# The whole test suite, as the README gives it: `bash tests/all.sh`.
# Installs what the tests need (into local folders) and starts what they need itself.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets --locked
bash tests/conformance/run.sh
