#!/bin/sh
# Render every TUI snapshot SVG to PNG with headless Chromium, to look at them as pictures.
# usage: bench/snapshots_png.sh [OUTDIR]   (default: /tmp/lightprof-snapshots)
set -eu
out=${1:-/tmp/lightprof-snapshots}
mkdir -p "$out"
for svg in snapshots/test_tui_snapshots/*.svg; do
  # The SVG's own size (viewBox="0 0 W H"), so the picture is not cropped.
  size=$(sed -n 's/.*viewBox="0 0 \([0-9.]*\) \([0-9.]*\)".*/\1,\2/p' "$svg" | head -n 1 | awk -F, '{printf "%d,%d", $1+1, $2+1}')
  name=$(basename "$svg" .svg)
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out/$name.png" \
    --window-size="$size" "file://$PWD/$svg" >/dev/null 2>&1
done
ls "$out"
