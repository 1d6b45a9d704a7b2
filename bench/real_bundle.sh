#!/usr/bin/env bash
# Size a real bundle and real dependency folders against du -sb, gzip -9 -n and brotli -q 11.
# Installs pinned esbuild, react, react-dom and three from npm into a temporary folder, bundles a
# small React + three.js app twice (minified and not), then runs bench_sizes.py --compare on the
# two bundles, node_modules (esbuild hard-links its binary there) and lightprof's own site-packages.
# Usage: bash bench/real_bundle.sh   (needs node, npm, gzip, brotli)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$repo/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund esbuild@0.24.2 react@18.3.1 react-dom@18.3.1 three@0.170.0
mkdir src
cat > src/app.jsx <<'JSX'
import React, { useState } from "react";
import { createRoot } from "react-dom/client";
import * as THREE from "three";
function App() {
  const [n, setN] = useState(0);
  const scene = new THREE.Scene();
  scene.add(new THREE.Mesh(new THREE.BoxGeometry(1, 1, n + 1), new THREE.MeshBasicMaterial()));
  return <button onClick={() => setN(n + 1)}>{scene.children.length} {n}</button>;
}
createRoot(document.getElementById("root")).render(<App />);
JSX
./node_modules/.bin/esbuild src/app.jsx --bundle --minify --outfile=dist/app.min.js --log-level=warning
./node_modules/.bin/esbuild src/app.jsx --bundle --outfile=dist/app.js --log-level=warning
site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$py" "$repo/bench/bench_sizes.py" --compare dist/app.min.js dist/app.js node_modules "$site"
