//! Builds the web portal (`web/`, Svelte + Vite) into `$OUT_DIR/web`, which `http::web` embeds into the binary.
//! The first build installs the locked npm packages (`npm ci`); later ones rebuild only when the portal's sources
//! change. Node.js and npm are build requirements, as cargo is (tests/setup.sh installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    // Only inputs that exist: cargo treats a missing rerun-if-changed path as always changed, which rebuilt the
    // portal and recompiled photosd on every build.
    for input in ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.js"] {
        if web.join(input).exists() {
            println!("cargo:rerun-if-changed=web/{input}");
        }
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web");
    let installed = web.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&web.join("package-lock.json")) {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&web));
    }
    let out_dir = out.to_str().expect("a UTF-8 build directory");
    run(Command::new("npm")
        .args(["run", "build", "--silent", "--", "--outDir", out_dir, "--emptyOutDir", "--logLevel", "warn"])
        .env("PHOTOSD_VERSION", env!("CARGO_PKG_VERSION"))
        .current_dir(&web));
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run(command: &mut Command) {
    let status = command.status().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e}. The web portal needs Node.js and npm (tests/setup.sh installs them).")
    });
    assert!(status.success(), "{command:?} failed ({status}); the web portal did not build");
}
