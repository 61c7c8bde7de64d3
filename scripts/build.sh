#!/usr/bin/env bash
# Builds the native tree (tests) and the wasm package (dist/). See docs/build.md.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$jobs"

# emscripten 3.1.6 (Debian): optimized links need acorn from Debian's node modules.
export NODE_PATH=/usr/share/nodejs
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" >/dev/null
cmake --build build/wasm -j"$jobs"
ls -l dist/
