#!/bin/sh
# Builds the worker into crates/hookmap-worker/build (wrangler's [build] command).
# HOOKMAP_PREBUILT=1 skips the build when its output exists: the end-to-end tests build once and
# then start `wrangler dev` many times. HOOKMAP_WORKER_FEATURES (e.g. `bench`) builds a variant
# with those cargo features into the same place; scripts/bench.sh uses it and then rebuilds
# without, so what stays in build/ is always the production worker unless someone asked.
set -eu
. "$(dirname "$0")/env.sh"
if [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "$root/crates/hookmap-worker/build/index.js" ]; then
  exit 0
fi
cd "$root"
if [ -n "${HOOKMAP_WORKER_FEATURES:-}" ]; then
  # Words after `--` go to `cargo build` as they are.
  exec worker-build --release crates/hookmap-worker -- --features "$HOOKMAP_WORKER_FEATURES"
fi
exec worker-build --release crates/hookmap-worker
