#!/bin/sh
# bin/photosd of the NAS package: runs the photosd program (libexec/photosd) with the loader and the libraries
# the package carries in lib/, since DSM has none of them (FFmpeg, libheif's codecs) and an older C library.
# Workers are started through this launcher too (PHOTOSD_EXE), so they find the same libraries.
self=$(readlink -f "$0")
top=$(dirname "$(dirname "$self")")
PHOTOSD_EXE="$self" exec "$top/lib/@LOADER@" --library-path "$top/lib" "$top/libexec/photosd" "$@"
