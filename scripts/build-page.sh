#!/bin/sh
# Builds the mapping page's wasm module into www/pkg (served by the worker as a static asset):
# hookmap-wasm for wasm32, then wasm-bindgen --target web, then wasm-opt for size.
# HOOKMAP_PREBUILT=1 skips the build when its output exists, as for the worker.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"
out=www/pkg
if [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "$out/hookmap_wasm_bg.wasm" ]; then
  exit 0
fi
cargo build --profile page -p hookmap-wasm --target wasm32-unknown-unknown
"$WASM_BINDGEN_BIN" --target web --no-typescript --out-dir "$out" \
  target/wasm32-unknown-unknown/page/hookmap_wasm.wasm
"$WASM_OPT_BIN" -Os --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/hookmap_wasm_bg.wasm" -o "$out/hookmap_wasm_bg.wasm"
