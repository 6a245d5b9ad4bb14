#!/bin/sh
# Builds the workers (crates/hookmap-worker/src/lib.rs), each from the one crate with only its own
# cargo feature: `edge` into crates/hookmap-worker/build/edge, `api` into .../build/api. With no
# argument it builds both; each wrangler config's [build] names its own.
# Each worker has a cargo target directory of its own (target/worker-edge, target/worker-api): in a
# shared one the two feature sets overwrite the same cdylib, and every build after the other
# worker's compiled the crate again. A worker whose wasm is newer than its cargo artifact is left
# as it is (worker-build would run wasm-bindgen and wasm-opt again for nothing).
# HOOKMAP_PREBUILT=1 skips a worker whose output exists: the end-to-end tests build once and then
# start `wrangler dev` many times. HOOKMAP_WORKER_FEATURES (e.g. `bench`) adds cargo features to
# the edge; scripts/bench.sh uses it and then rebuilds without, so what stays in build/ is the
# production worker unless someone asked.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"
for worker in ${1:-edge api}; do
  case "$worker" in
    edge) features="edge${HOOKMAP_WORKER_FEATURES:+,$HOOKMAP_WORKER_FEATURES}" ;;
    api) features=api ;;
    *) echo "build-worker.sh: no worker named $worker (edge, api)" >&2; exit 2 ;;
  esac
  out=crates/hookmap-worker/build/$worker
  if [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "$out/index.js" ]; then
    continue
  fi
  export CARGO_TARGET_DIR="$root/target/worker-$worker"
  # What worker-build's own cargo step runs; after it, that step has nothing left to do.
  (cd crates/hookmap-worker && cargo build --lib --release --target wasm32-unknown-unknown \
    --no-default-features --features "$features")
  artifact=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/hookmap_worker.wasm
  # The features are part of what was built: a bench edge is not the production one.
  stamp=$out/.features
  if [ -f "$out/index.js" ] && [ "$out/index_bg.wasm" -nt "$artifact" ] \
    && [ "$(cat "$stamp" 2>/dev/null)" = "$features" ]; then
    printf 'build-worker.sh: %s is up to date\n' "$worker"
    continue
  fi
  worker-build --release --out-dir "build/$worker" crates/hookmap-worker -- --no-default-features --features "$features"
  printf '%s' "$features" >"$stamp"
done
