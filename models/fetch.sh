#!/usr/bin/env bash
# Fetches, checks and converts the face models into target/models (models/fetch.py), and the place data into
# target/geo (models/geodata.py), with the Python packages of
# models/requirements.txt in a virtualenv of the build tree, target/mlenv (made again whenever the file changes;
# the ML reference tests use it too). Run by tests/setup.sh, build-spk.sh and package/linux/install.sh; does
# nothing when the models are already there. Arguments go to fetch.py (--keep-originals for the reference tests).
set -euo pipefail
cd "$(dirname "$0")/.."
env=target/mlenv
if [[ ! -x "$env/bin/python" ]] || ! cmp -s models/requirements.txt "$env/requirements.txt"; then
  echo "models: installing the model tooling into $env" >&2
  python3 -m venv "$env"
  "$env/bin/pip" install --quiet --disable-pip-version-check -r models/requirements.txt
  cp models/requirements.txt "$env/requirements.txt"
fi
"$env/bin/python" models/fetch.py "$@"
# The place data of the offline reverse geocoder, into target/geo (models/geodata.py).
exec "$env/bin/python" models/geodata.py
