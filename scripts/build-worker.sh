#!/bin/sh
# Builds the worker into crates/hookmap-worker/build (wrangler's [build] command).
# HOOKMAP_PREBUILT=1 skips the build when its output exists: the end-to-end tests build once and
# then start `wrangler dev` many times.
set -eu
. "$(dirname "$0")/env.sh"
if [ "${HOOKMAP_PREBUILT:-0}" = 1 ] && [ -f "$root/crates/hookmap-worker/build/index.js" ]; then
  exit 0
fi
cd "$root"
exec worker-build --release crates/hookmap-worker
