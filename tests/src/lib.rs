//! Shared helpers for photosd's integration tests: where the binary and the corpus are, temp libraries, and
//! running the real daemon.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The shared real-media corpus, beside the checkout.
pub fn corpus() -> PathBuf {
    let dir = workspace().join("../shared/corpus");
    assert!(dir.join("MANIFEST.tsv").exists(), "the shared corpus is missing at {}", dir.display());
    dir.canonicalize().expect("corpus path")
}

/// The photosd binary under test: $PHOTOSD_BIN, else the release build (the test script builds it first).
pub fn photosd_bin() -> PathBuf {
    let bin = std::env::var_os("PHOTOSD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/release/photosd"));
    assert!(bin.exists(), "{} not built: run `cargo build --release -p photosd` (scripts/test.sh does)", bin.display());
    bin
}

/// Runs photosd with `args`, with a clean environment for its settings.
pub fn photosd(args: &[&str]) -> Output {
    Command::new(photosd_bin()).args(args).env_remove("PHOTOSD_CONFIG").output().expect("photosd runs")
}

/// Parses JSON lines.
pub fn json_lines(text: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}
