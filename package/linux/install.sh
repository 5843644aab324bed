#!/usr/bin/env bash
# Installs photosd on a plain Linux box: the binary (with the web portal inside), the face models, the place data,
# the default
# config (only if there is none), the `photosd` service user and its data directory, the systemd unit and the
# nginx snippet.
#
#   package/linux/install.sh [--no-build]      as root; DESTDIR=/some/root installs under another root
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ "${1:-}" == "--no-build" ]] || { package/ffmpeg/build.sh && cargo build --release -p photosd; }
models/fetch.sh
root="${DESTDIR:-}"

install -D -m 0755 target/release/photosd "$root/usr/local/bin/photosd"
# The models (faces, subjects, the search text model), where photosd looks by default (share/photosd/models beside
# bin/), with their licences.
for model in yunet.safetensors sface.safetensors efficientnet_lite0.safetensors minilm.safetensors \
  minilm-tokenizer.json minilm-config.json; do
  install -D -m 0644 "target/models/$model" "$root/usr/local/share/photosd/models/$model"
done
install -D -m 0644 target/models/NOTICE "$root/usr/local/share/doc/photosd/models.NOTICE"
install -D -m 0644 /usr/share/common-licenses/Apache-2.0 "$root/usr/local/share/doc/photosd/Apache-2.0"
# The place data of the offline geocoder (share/photosd/geo beside bin/), with its credits.
for data in cities.csv countries.tsv; do
  install -D -m 0644 "target/geo/$data" "$root/usr/local/share/photosd/geo/$data"
done
install -D -m 0644 target/geo/NOTICE "$root/usr/local/share/doc/photosd/places.NOTICE"
install -d -m 0755 "$root/etc/photosd"
if [[ ! -f "$root/etc/photosd/photosd.toml" ]]; then
  # nginx, set up in front below, connects from loopback: its X-Forwarded-For is the client's address.
  sed 's|^trusted_proxies = .*|trusted_proxies = ["127.0.0.1", "::1"]|' conf/photosd.toml >"$root/etc/photosd/photosd.toml"
  chmod 0644 "$root/etc/photosd/photosd.toml"
else
  echo "install: keeping the existing $root/etc/photosd/photosd.toml"
  # An empty list meant loopback in earlier versions; it now means none.
  sed -i 's|^trusted_proxies = \[\]$|trusted_proxies = ["127.0.0.1", "::1"]|' "$root/etc/photosd/photosd.toml"
fi
# The service user, and the one its workers run as (they parse untrusted files, and own nothing).
for account in photosd photosd-worker; do
  if [[ -z "$root" ]] && ! id "$account" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$account"
  fi
done
install -d -m 0750 "$root/var/lib/photosd"
[[ -n "$root" ]] || chown photosd:photosd /var/lib/photosd
install -D -m 0644 package/linux/photosd.service "$root/etc/systemd/system/photosd.service"
install -D -m 0644 package/linux/nginx-photo.conf "$root/etc/nginx/snippets/photosd.conf"
install -D -m 0644 README.md "$root/usr/share/doc/photosd/README.md"

if [[ -z "$root" ]] && [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
fi
cat <<NEXT
photosd is installed. Next:
  1. Check /etc/photosd/photosd.toml (Personal Spaces: personal_pattern; the Shared Space: shared_root).
  2. systemctl enable --now photosd
  3. In your nginx server block: include snippets/photosd.conf;  then: nginx -s reload
  4. Open http://<this box>/photo/ and sign in with a user account of this machine.
NEXT
