#!/usr/bin/env bash
# The README's picture: a real BraTS 2021 validation case (never a training source), segmented by
# the packaged default model and shown in the viewer, screenshotted by headless Chromium.
#
#     bash scripts/readme_image.sh [CASE]      # default ../shared/data/real-val/BraTS2021_00003
set -euo pipefail
CASE=${1:-../shared/data/real-val/BraTS2021_00003}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
smart-brains predict "$CASE" --out "$WORK/segs" >/dev/null
smart-brains view "$CASE" --seg "$WORK/segs" --out "$WORK/page.html" >/dev/null
mkdir -p docs/images
chromium --headless --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader \
    --disable-background-networking --window-size=1300,760 --virtual-time-budget=15000 \
    --screenshot="$PWD/docs/images/real-case.png" "file://$WORK/page.html" 2>/dev/null
echo "docs/images/real-case.png: $(basename "$CASE") with the packaged model's prediction"
