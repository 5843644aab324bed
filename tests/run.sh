#!/usr/bin/env bash
# Runs every photosd test: installs what is missing, checks the code's form (rustfmt, the module layers, clippy
# with every warning an error), builds the release binary the integration tests drive, then runs the unit tests
# and the integration tests (real SQLite, real inotify, real Samba, the real corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup.sh
cargo fmt --all -- --check
scripts/check-layers.py
# --release: it shares the build scripts' output (FFmpeg's bindings) with the build below.
cargo clippy --release --all-targets -- -D warnings
cargo build --release -p photosd
cargo test --release -p photosd
# Integration test binaries run one after another; each starts its own daemons on temp folders.
cargo test -p photosd-tests -- --nocapture
