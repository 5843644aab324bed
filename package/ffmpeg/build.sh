#!/usr/bin/env bash
# Builds the FFmpeg that photosd links: Debian's FFmpeg source (fetched and checked by apt), configured with only
# what photosd uses (the demuxers and decoders of camera and phone videos, OpenH264 and AAC for the browser
# transcodes, JPEG 2000, JPEG XL and TIFF pages that no other decoder of photosd reads, swscale and swresample),
# as static libraries in target/ffmpeg. Debian's own libavcodec drags in
# ~130 libraries (X11, cairo, ICU, codec2...) that a NAS has none of; this one needs only libopenh264, libdav1d and libjxl,
# and decodes far fewer formats from untrusted files.
#
#   package/ffmpeg/build.sh        (does nothing when target/ffmpeg was built by this same script)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/target/ffmpeg"
stamp="$out/.built-$(sha256sum package/ffmpeg/build.sh | cut -c1-16)"
[[ -f "$stamp" ]] && exit 0

work="$PWD/target/ffmpeg-build"
rm -rf "$work" "$out"
mkdir -p "$work/apt/lists/partial" "$work/apt/sources"
# The release, its updates and its security fixes: apt takes the newest FFmpeg of the three.
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
cat >"$work/apt/sources/debian-src.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_src=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources"
  -o "Dir::State::Lists=$work/apt/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "ffmpeg: fetching Debian's FFmpeg source" >&2
apt-get "${apt_src[@]}" update -qq
(cd "$work" && apt-get "${apt_src[@]}" source --download-only -qq ffmpeg)
# Unpacked with Debian's patches applied (apt checked the files against the signed index).
(cd "$work" && dpkg-source --no-check -x ffmpeg_*.dsc src >/dev/null)
src="$work/src"
echo "ffmpeg: $(cd "$work" && ls ffmpeg_*.dsc)" >&2

list() { local IFS=,; echo "$*"; }
demuxers=(mov matroska avi mpegts mpegps asf flv dv mxf ogg mp3 wav aac ac3 flac h264 hevc m4v mjpeg mpegvideo
  image2 image_j2k_pipe image_jpegxl_pipe image_tiff_pipe)
video=(h264 hevc mpeg4 h263 h263p msmpeg4v1 msmpeg4v2 msmpeg4v3 mpeg1video mpeg2video mjpeg vp8 vp9 libdav1d
  prores dvvideo wmv1 wmv2 wmv3 vc1 theora flv indeo3 indeo4 indeo5 cinepak rawvideo hap qtrle svq1 svq3
  jpeg2000 libjxl tiff)
audio=(aac aac_latm mp3 mp3float mp2 ac3 eac3 opus vorbis flac alac amrnb amrwb wmav1 wmav2 adpcm_ms adpcm_ima_wav
  adpcm_ima_qt pcm_s16le pcm_s16be pcm_s24le pcm_s24be pcm_s32le pcm_u8 pcm_f32le pcm_alaw pcm_mulaw)
parsers=(h264 hevc mpeg4video mpegvideo mpegaudio aac aac_latm ac3 vp8 vp9 av1 mjpeg vc1 opus vorbis flac dvaudio)
bsfs=(h264_mp4toannexb hevc_mp4toannexb aac_adtstoasc extract_extradata vp9_superframe_split)

echo "ffmpeg: configuring $(basename "$src")" >&2
(cd "$src" && ./configure --prefix="$out" --enable-static --disable-shared --enable-pic \
  --disable-programs --disable-doc --disable-debug --disable-autodetect --disable-network \
  --disable-everything --disable-avdevice --disable-avfilter --disable-postproc \
  --enable-libopenh264 --enable-libdav1d --enable-libjxl --enable-zlib \
  --enable-protocol=file,pipe --enable-demuxer="$(list "${demuxers[@]}")" \
  --enable-decoder="$(list "${video[@]}" "${audio[@]}")" --enable-parser="$(list "${parsers[@]}")" \
  --enable-bsf="$(list "${bsfs[@]}")" --enable-encoder=libopenh264,aac --enable-muxer=mp4,mov \
  --enable-swscale --enable-swresample >"$work/configure.log") \
  || { tail -n 20 "$work/configure.log" "$src/ffbuild/config.log" >&2; exit 1; }
# A component name configure does not know is only a warning there: here it is an error.
if grep -i "did not match anything" "$work/configure.log" >&2; then exit 1; fi
# LGPL 2.1 or later: no --enable-gpl or --enable-nonfree, so no GPL part is built in (H.264 is encoded with
# OpenH264, BSD-2-Clause). tests/tests/package.rs reads the configuration back from the packaged photosd.
if ! grep -q '^#define CONFIG_GPL 0' "$src/config.h" || ! grep -q '^#define CONFIG_NONFREE 0' "$src/config.h"; then
  echo "ffmpeg: the configuration is not LGPL" >&2; exit 1
fi
echo "ffmpeg: building (a few minutes)" >&2
make -C "$src" -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 30 "$work/make.log" >&2; exit 1; }
make -C "$src" install >>"$work/make.log" 2>&1
# The licence the package must carry with it.
mkdir -p "$out/share/licenses"
cp "$src/COPYING.LGPLv2.1" "$src/LICENSE.md" "$src/debian/copyright" "$out/share/licenses/"
ls "$work"/ffmpeg_*.dsc | sed 's|.*/||' >"$out/share/licenses/SOURCE"
rm -rf "$work"
# ffmpeg-sys-next read the link flags of the FFmpeg it last saw: make it read this one's.
for profile in --release ""; do cargo clean -q $profile -p ffmpeg-sys-next 2>/dev/null || true; done
touch "$stamp"
echo "ffmpeg: built into $out" >&2
