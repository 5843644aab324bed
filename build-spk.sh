#!/usr/bin/env bash
# Builds the DSM 7 package dist/photosd-<version>-<arch>.spk from this checkout: the release binary (with the web
# portal inside) and every library it needs, the face models, the place data, the default config, the lifecycle scripts from scripts/, conf/privilege and conf/resource, the
# icons, and the install and uninstall wizards. The same commit gives the same package.tgz: files are sorted,
# owned by root, dated by the commit, and gzipped without a timestamp.
#
#   ./build-spk.sh [--no-build]     (--no-build: package the release binary already built)
set -euo pipefail
cd "$(dirname "$0")"
[[ "${1:-}" == "--no-build" ]] || { package/ffmpeg/build.sh && cargo build --release -p photosd; }
# The face models and the place data, with their NOTICEs (made once; nothing to do when target/models and
# target/geo hold them).
models/fetch.sh

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# DSM versions are <feature>-<build>, the build increasing: the number of commits so far (PHOTOSD_SPK_BUILD
# overrides it, as the DSM simulator does to make a newer build of the same commit).
build=${PHOTOSD_SPK_BUILD:-$(git rev-list --count HEAD 2>/dev/null || echo 1)}
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
arch=$(uname -m)
stage=target/spk
rm -rf "$stage"
mkdir -p "$stage/package/bin" "$stage/package/share" "$stage/spk/scripts" "$stage/spk/conf" dist

# package.tgz: what DSM unpacks into /var/packages/photosd/target. DSM has none of the libraries photosd links
# (FFmpeg, libheif's codecs, PAM) and an older C library, so the package carries every one of them, the C library
# and its loader included, in lib/; bin/photosd is a launcher that runs libexec/photosd with them. Their licences
# go in share/licenses (FFmpeg is built LGPL 2.1 or later, H.264 encoded by OpenH264, BSD; FFmpeg's source is
# Debian's, named in ffmpeg.SOURCE), with photosd's own (MIT).
mkdir -p "$stage/package/libexec" "$stage/package/lib"
strip --strip-debug -o "$stage/package/libexec/photosd" target/release/photosd
export LC_ALL=C
loader=$(readelf -l target/release/photosd | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
cp -L "$loader" "$stage/package/lib/"
# The system's libraries, whatever a caller's LD_LIBRARY_PATH says; one that is missing stops the build.
needed=$(env -u LD_LIBRARY_PATH ldd target/release/photosd)
if grep -q "not found" <<<"$needed"; then echo "build-spk.sh: missing libraries: $needed" >&2; exit 1; fi
mkdir -p "$stage/package/share/licenses"
cp target/ffmpeg/share/licenses/COPYING.LGPLv2.1 "$stage/package/share/licenses/"
cp LICENSE "$stage/package/share/licenses/photosd.LICENSE"
for file in LICENSE.md copyright SOURCE; do
  cp "target/ffmpeg/share/licenses/$file" "$stage/package/share/licenses/ffmpeg.$file"
done
awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$needed" | sort -u | while read -r lib; do
  cp -L "$lib" "$stage/package/lib/"
  # Each library's copyright and licence, from the Debian package it came from.
  owner=$({ dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")"; } 2>/dev/null | head -1 | cut -d: -f1)
  if [[ -z "$owner" || ! -f "/usr/share/doc/$owner/copyright" ]]; then
    echo "build-spk.sh: no Debian package, or no copyright file, for $lib" >&2
    exit 1
  fi
  cp "/usr/share/doc/$owner/copyright" "$stage/package/share/licenses/$owner.copyright"
done
strip --strip-unneeded "$stage/package/lib/"*.so*
sed "s|@LOADER@|$(basename "$loader")|" package/dsm/launcher.sh >"$stage/package/bin/photosd"
chmod 755 "$stage/package/bin/photosd"
cp conf/photosd.toml "$stage/package/share/photosd.toml"
# The models (faces, subjects, the search text model), where photosd looks by default (share/photosd/models beside
# bin/), with their licences.
mkdir -p "$stage/package/share/photosd/models"
cp target/models/yunet.safetensors target/models/sface.safetensors target/models/efficientnet_lite0.safetensors \
  target/models/minilm.safetensors target/models/minilm-tokenizer.json target/models/minilm-config.json \
  "$stage/package/share/photosd/models/"
cp target/models/NOTICE "$stage/package/share/licenses/models.NOTICE"
cp /usr/share/common-licenses/Apache-2.0 "$stage/package/share/licenses/Apache-2.0"
# The place data of the offline geocoder, where photosd looks by default (share/photosd/geo), with its credits.
mkdir -p "$stage/package/share/photosd/geo"
cp target/geo/cities.csv target/geo/countries.tsv "$stage/package/share/photosd/geo/"
cp target/geo/NOTICE "$stage/package/share/licenses/places.NOTICE"
cp -r package/dsm/ui "$stage/package/ui"
chmod -R u=rwX,go=rX "$stage/package"
tar -C "$stage/package" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - . \
  | gzip -9 -n >"$stage/spk/package.tgz"

cp scripts/preinst scripts/postinst scripts/preuninst scripts/postuninst scripts/preupgrade scripts/postupgrade \
  scripts/start-stop-status scripts/functions "$stage/spk/scripts/"
cp conf/privilege conf/resource "$stage/spk/conf/"
cp package/dsm/PACKAGE_ICON.PNG package/dsm/PACKAGE_ICON_256.PNG "$stage/spk/"
cp -r package/dsm/WIZARD_UIFILES "$stage/spk/"

checksum=$(md5sum "$stage/spk/package.tgz" | cut -d' ' -f1)
cat >"$stage/spk/INFO" <<INFO
package="photosd"
version="$version-$(printf %04d "$build")"
os_min_ver="7.0-40000"
arch="$arch"
maintainer="photosd"
displayname="Photos (photosd)"
description="A self-hosted photo library, compatible with Synology Photos: it indexes every user's Photos folder and the shared folder photo, with thumbnails, videos and a web portal at /photo."
thirdparty="yes"
startable="yes"
dsmuidir="ui"
dsmappname="org.photosd.photos"
install_dep_packages="WebStation"
install_conflict_packages="SynologyPhotos"
checksum="$checksum"
INFO

out="dist/photosd-$version-$(printf %04d "$build")-$arch.spk"
tar -C "$stage/spk" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$out" \
  INFO package.tgz scripts conf WIZARD_UIFILES PACKAGE_ICON.PNG PACKAGE_ICON_256.PNG
size=$(stat -c %s "$out")
echo "built $out ($((size / 1024 / 1024)) MB; package.tgz md5 $checksum)"
