#!/usr/bin/env bash
# A photosd demo a newcomer can sign in to. It builds photosd, makes (or reuses) the account photosd-demo with a
# password of its own, copies a sample of ../shared/corpus into that account's Personal Space and a few photos into
# a Shared Space, then serves the web portal (indexing the sample as it goes) and prints where to open it and how
# to sign in.
# Ctrl-C (or SIGTERM) stops the daemon and its workers; nothing is left running.
#
#   tests/demo.sh                              # a new demo folder under /tmp
#   PHOTOSD_DEMO_DIR=/srv/demo tests/demo.sh   # that folder, reused from run to run (same account, same library)
#   tests/demo.sh --no-build                   # skip tests/setup.sh and the build (target/release/photosd exists)
#
# It listens on 127.0.0.1:5080 unless PHOTOSD_SERVER_LISTEN says otherwise (port 0 takes a free port; the
# address printed is the one the daemon bound). It needs root: it adds a system account, and photosd checks
# passwords through PAM as root before it drops to its service user. Run by another user, it builds as that user,
# then runs the rest through sudo (keeping the PHOTOSD_* variables), and lets that user drop photos in.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ ${1:-} == --help || ${1:-} == -h ]] && { sed -n '2,14p' "$0" | cut -c3-; exit 0; }
if [[ ${1:-} != --no-build ]]; then
  tests/setup.sh
  cargo build --release -p photosd
fi
if [[ $(id -u) -ne 0 ]]; then
  keep=$(compgen -e | grep '^PHOTOSD_' | paste -sd, || true)
  exec sudo ${keep:+--preserve-env="$keep"} "$0" --no-build
fi
photosd=$PWD/target/release/photosd
[[ -x $photosd ]] || { echo "demo: $photosd is missing (run without --no-build)" >&2; exit 2; }

demo=${PHOTOSD_DEMO_DIR:-$(mktemp -d /tmp/photosd-demo.XXXXXX)}
account=photosd-demo
mkdir -p "$demo"
demo=$(cd "$demo" && pwd)
photos="$demo/homes/$account/Photos"
shared="$demo/photo"
log="$demo/photosd.log"

# The account: a system user who cannot log in to a shell, with a password kept (0600) in the demo folder, so
# that a second run in the same folder signs in with the same one.
if ! id "$account" >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir "$demo/homes/$account" --shell /usr/sbin/nologin "$account"
fi
if [[ ! -s $demo/password ]]; then
  (umask 077 && head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$demo/password")
fi
password=$(cat "$demo/password")
echo "$account:$password" | chpasswd

# The sample: cameras, phones (HEIC), videos and rotated photos in the Personal Space; other formats in the
# Shared Space. cp -n keeps what an earlier run (or the user) put there.
corpus=../shared/corpus
mkdir -p "$photos" "$shared/Formats" "$demo/data"
for d in camera_jpeg heic video orientation; do
  [[ -d $corpus/$d ]] && cp -rn "$corpus/$d" "$photos/"
done
# Portraits of a few people, for the People album.
for who in barack_obama kit_harington photoprism_person_0 photoprism_person_1; do
  [[ -d $corpus/faces/$who ]] && mkdir -p "$photos/people" && cp -rn "$corpus/faces/$who" "$photos/people/"
done
[[ -d $corpus/other_formats ]] && find "$corpus/other_formats" -type f -exec cp -n {} "$shared/Formats/" \;
chown -R "$account:" "$demo/homes/$account"
# photosd's workers run as an account of their own (photosd-worker): they must pass through to the data dir.
chmod o+x "$demo"
# The user who ran the demo through sudo may drop photos in, as the account's own files.
if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
  setfacl -R -m "u:$SUDO_USER:rwX,d:u:$SUDO_USER:rwX" "$photos"
  chmod o+x "$demo" "$demo/homes" "$demo/homes/$account"
fi

# The daemon indexes the sample in the background (the portal's task indicator shows how far it is), so the
# portal opens at once. It logs to $log; the address comes from its own "listening" line, so port 0 works too.
# Only the demo account signs in: its uid is the lowest counted, and it must be in its own group.
flags=(--data "$demo/data" --personal-pattern "$demo/homes/*/Photos" --shared "$shared" --min-uid "$(id -u "$account")")
export PHOTOSD_SPACES_ALLOWED_GROUP=$account
# The face models and the place data tests/setup.sh fetched (models/fetch.sh), unless the caller points elsewhere.
if [[ -z ${PHOTOSD_FACES_MODELS_DIR:-} && -f $PWD/target/models/yunet.safetensors ]]; then
  export PHOTOSD_FACES_MODELS_DIR=$PWD/target/models
fi
if [[ -z ${PHOTOSD_PLACES_DATA_DIR:-} && -f $PWD/target/geo/cities.csv ]]; then
  export PHOTOSD_PLACES_DATA_DIR=$PWD/target/geo
fi
: >"$log"
"$photosd" serve "${flags[@]}" 2>>"$log" &
daemon=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  [[ -n ${tail_pid:-} ]] && kill "$tail_pid" 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT
address=""
for _ in $(seq 300); do
  address=$(grep -o 'listening address=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
  [[ -n $address ]] && break
  kill -0 "$daemon" 2>/dev/null || { cat "$log" >&2; echo "demo: photosd stopped" >&2; exit 1; }
  sleep 0.1
done
[[ -n $address ]] || { cat "$log" >&2; echo "demo: photosd did not start listening" >&2; exit 1; }

cat <<MSG

photosd demo is running.

  Open:      http://$address/photo/
  Account:   $account
  Password:  $password

What to try:
  - Sign in: the sample is being indexed (the indicator at the top shows how far). Scroll the timeline, open a photo (arrow keys step, i shows its details), play a video.
  - Folders shows the Personal Space's folders; the switch at the top shows the Shared Space ($shared).
  - People groups the faces of the sample's portraits: name someone with "Who's this?", open a person's photos.
  - Drop a photo into the Personal Space; it appears within 2 s, with its thumbnails:
      cp some-photo.jpg "$photos/"
  - Upload by dragging files onto the page, make an album from a selection, download a ZIP.
  - Share: open an album (or a folder, or select photos) and choose Share. The link opens without an account, in
    a private window or on a phone; set a password, an expiry, or invite other users. Sharing lists what you
    share, what others share with you, and photo requests (a link anyone can send you photos through).
  - The API, as Synology Photos clients use it:
      curl -s 'http://$address/photo/webapi/auth.cgi' -d api=SYNO.API.Auth -d version=7 -d method=login \\
           -d account=$account -d passwd='$password' -d format=sid

Library: $demo (database in data/library.db, log in photosd.log)
Stop with Ctrl-C. Run again with PHOTOSD_DEMO_DIR=$demo to keep this library and account.

MSG
# The daemon's log on the terminal until it stops.
tail -n 0 -f "$log" &
tail_pid=$!
wait "$daemon"
