#!/usr/bin/env bash
# Runs every photosd test: installs what is missing, builds the release binary the integration tests drive,
# then runs the unit tests and the integration tests (real SQLite, real inotify, real Samba, the real corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup.sh
cargo build --release -p photosd
cargo test --release -p photosd
# Integration test binaries run one after another; each starts its own daemons on temp folders.
cargo test -p photosd-tests -- --nocapture
