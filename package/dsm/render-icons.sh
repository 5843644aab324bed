#!/usr/bin/env bash
# Renders the package icons from icon.svg (drawn for the project): PACKAGE_ICON.PNG (64×64), PACKAGE_ICON_256.PNG
# and the Web Station portal icons in ui/images. The PNGs are committed; run this after changing icon.svg
# (needs rsvg-convert, Debian's librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")"
rsvg-convert -w 64 -h 64 icon.svg -o PACKAGE_ICON.PNG
rsvg-convert -w 256 -h 256 icon.svg -o PACKAGE_ICON_256.PNG
for size in 16 24 32 48 64 72 256; do
  rsvg-convert -w "$size" -h "$size" icon.svg -o "ui/images/photosd_$size.png"
done
