#!/bin/sh
# Builds the workers (crates/hookmap-worker/src/lib.rs), each from the one crate with only its own
# cargo feature: `edge` into crates/hookmap-worker/build/edge, `api` into .../build/api. With no
# argument it builds both; each wrangler config's [build] names its own.
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
  if [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "crates/hookmap-worker/build/$worker/index.js" ]; then
    continue
  fi
  mkdir -p target
  # Both builds write the same cargo artifact before wasm-bindgen reads it, and `wrangler dev`
  # runs both configs' builds at once: one at a time.
  flock target/.build-worker.lock worker-build --release --out-dir "build/$worker" \
    crates/hookmap-worker -- --no-default-features --features "$features"
done
