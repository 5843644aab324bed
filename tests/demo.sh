#!/usr/bin/env bash
# A photosd demo: builds photosd, makes a sample library from the shared corpus in a temp folder, indexes it,
# then runs the daemon watching it. Drop photos into the folder it prints and watch them arrive.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup.sh
cargo build --release -p photosd
demo=${PHOTOSD_DEMO_DIR:-$(mktemp -d /tmp/photosd-demo.XXXXXX)}
user=$(id -un)
photos="$demo/homes/$user/Photos"
mkdir -p "$photos" "$demo/data"
corpus=../shared/corpus
for d in camera_jpeg heic video orientation; do
  [[ -d $corpus/$d ]] && cp -rn "$corpus/$d" "$photos/" 
done
flags=(--data "$demo/data" --personal-pattern "$demo/homes/*/Photos" --shared "" --min-uid 0)
target/release/photosd index "${flags[@]}"
cat <<MSG

photosd demo library: $photos
database:             $demo/data/library.db

Now watching it. In another terminal, try:
  cp some-photo.jpg "$photos/"                # appears in the library within 2 s
  target/release/photosd inspect "$photos"/heic/*/*.heic
  sqlite3 "$demo/data/library.db" 'select filename, taken_local, make, model from item limit 20'
Stop with Ctrl-C.
MSG
exec target/release/photosd serve "${flags[@]}"
