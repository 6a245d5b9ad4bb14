#!/bin/sh
# Builds the mapping page's wasm module into www/pkg (served by the worker as a static asset):
# hookmap-wasm for wasm32, then wasm-bindgen --target web, then wasm-opt for size.
# HOOKMAP_PREBUILT=1 skips the build when its output exists, as for the worker.
# `--bench` builds the same module with the benchmark exports, for Node, into target/bench/wasm-node
# (scripts/bench.sh): the benchmark measures the engine exactly as the page ships it.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"
out=www/pkg target=web features=""
if [ "${1:-}" = --bench ]; then
  out=target/bench/wasm-node target=nodejs features="--features bench"
elif [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "$out/hookmap_wasm_bg.wasm" ]; then
  exit 0
fi
# Without the default features: `parity` exports what only the tests call (hookmap-wasm/Cargo.toml).
# shellcheck disable=SC2086 # $features is empty or one flag and its value
cargo build --profile page -p hookmap-wasm --target wasm32-unknown-unknown --no-default-features $features
artifact=target/wasm32-unknown-unknown/page/hookmap_wasm.wasm
# Nothing new from cargo: wasm-bindgen and wasm-opt would make the same module again, slowly.
if [ "$out" = www/pkg ] && [ www/pkg/hookmap_wasm_bg.wasm -nt "$artifact" ]; then
  printf 'build-page.sh: www/pkg is up to date\n'
  exit 0
fi
"$WASM_BINDGEN_BIN" --target "$target" --no-typescript --out-dir "$out" "$artifact"
# --converge repeats -Os until the module stops shrinking: 0.7 KB gzipped, a few seconds more.
# What holds for a module rustc and wasm-bindgen made, and lets wasm-opt fold more (1.1 KB): its
# memory is its own, so zeroed at the start, and nothing lives in its first kilobyte (the data
# starts at 1 MiB, below the stack). The producers and target-features sections are for tools.
# shellcheck disable=SC2086 # the feature flags are words
"$WASM_OPT_BIN" -Os --converge --zero-filled-memory --low-memory-unused --strip-producers \
  --strip-target-features $WASM_OPT_FEATURES "$out/hookmap_wasm_bg.wasm" -o "$out/hookmap_wasm_bg.wasm"
# wasm-bindgen's nodejs output is CommonJS; the project's package.json says "module".
if [ "$target" = nodejs ]; then printf '{"type": "commonjs"}\n' >"$out/package.json"; fi
