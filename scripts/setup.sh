#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a built tree: system packages (apt, only when
# missing), npm dependencies, then both builds (native + wasm).
set -euo pipefail
cd "$(dirname "$0")/.."

# emscripten..libgtest-dev: the two builds and native tests; chromium: browser tests (driven by
# playwright-core); python3-onnx/numpy: shared/tools/materialize_onnx.py for the benchmark;
# clang-14 + libFuzzer + its runtime: the fuzz targets (npm run fuzz); clang-16: the relaxed-SIMD int8
# kernels of the relaxed wasm builds (clang 14 cannot emit them; docs/build.md); python3-torch: the
# autograd oracle of the training gradients (tests/native/torch_train_oracle.py); python3-sklearn: the oracle
# of tests/js/train-sklearn.test.mjs (run as /usr/bin/python3).
packages=(emscripten nlohmann-json3-dev cmake build-essential libgtest-dev python3 chromium python3-onnx python3-numpy
          clang-14 libfuzzer-14-dev libclang-rt-14-dev clang-16 python3-torch python3-sklearn)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
# Node 22 and 24 (npm packages that carry the binary) for the relaxed-SIMD tests and the benchmark. Not
# devDependencies of the package: their bin is called "node" and would shadow the system Node in npm scripts.
npm ci --prefix tools/node-runtimes --no-audit --no-fund
bash scripts/build.sh
