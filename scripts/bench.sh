#!/bin/sh
# make bench: the engine natively (criterion) and in wasm under Node, the bundle sizes, the
# workers' cold starts under workerd, and the edge under load (wrk against wrangler dev on loopback,
# on the worker built with its `bench` feature); writes BENCHMARKS.md. Not part of make test: it
# takes a few minutes and its figures depend on the machine.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"
sh scripts/setup.sh
if ! command -v wrk >/dev/null; then
  printf '== bench: installing wrk from Debian\n'
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -qq wrk || { echo "bench: apt-get install wrk failed" >&2; exit 1; }
fi
out=target/bench
mkdir -p "$out"

printf '== bench: engine and decryption, native (criterion)\n'
cargo bench -p hookmap-core --bench engine -- --warm-up-time 1 --measurement-time 3 | tee "$out/criterion.txt" \
  | grep -E '^(plan|shadow|decrypt)|time:' || true

printf '== bench: engine, native and wasm under Node in paired rounds\n'
cargo bench -p hookmap-core --bench paired --no-run
sh scripts/build-page.sh --bench
node scripts/bench/engine.mjs "$root/$out/wasm-node/hookmap_wasm.js" >"$out/engine.json"

printf '== bench: decryption, wasm under Node, in the worker'"'"'s release profile\n'
cargo build --release -p hookmap-wasm --target wasm32-unknown-unknown --features bench
"$WASM_BINDGEN_BIN" --target nodejs --out-dir "$out/wasm-release" target/wasm32-unknown-unknown/release/hookmap_wasm.wasm
# worker-build runs wasm-opt -O over the worker; so does this.
# shellcheck disable=SC2086 # the feature flags are words
"$WASM_OPT_BIN" -O $WASM_OPT_FEATURES \
  "$out/wasm-release/hookmap_wasm_bg.wasm" -o "$out/wasm-release/hookmap_wasm_bg.wasm"
printf '{"type": "commonjs"}\n' >"$out/wasm-release/package.json"
node scripts/bench/decrypt.mjs "$root/$out/wasm-release/hookmap_wasm.js" >"$out/decrypt-wasm.json"

printf '== bench: release builds and sizes\n'
sh scripts/build-worker.sh >/dev/null
sh scripts/build-page.sh >/dev/null
size() { printf '{"raw":%s,"gzip":%s}' "$(wc -c <"$1")" "$(gzip -9 -c "$1" | wc -c)"; }
build=crates/hookmap-worker/build
printf '{"edge":%s,"api":%s,"page":%s}\n' "$(size $build/edge/index_bg.wasm)" "$(size $build/api/index_bg.wasm)" \
  "$(size www/pkg/hookmap_wasm_bg.wasm)" >"$out/sizes.json"

printf '== bench: cold start of the production workers under workerd\n'
node scripts/bench/coldstart.mjs $build/edge >"$out/coldstart.json"
node scripts/bench/coldstart.mjs $build/api >"$out/coldstart-api.json"
cat "$out/coldstart.json" "$out/coldstart-api.json"

printf '== bench: bytes of D1 per delivery (local D1, %s deliveries)\n' "${BENCH_STORED_DELIVERIES:-2000}"
HOOKMAP_PREBUILT=1 node scripts/bench/stored.mjs >"$out/stored.json"
cat "$out/stored.json"

printf '== bench: the console in headless Chromium (its sizes, first preview, shadow replay of 50)\n'
HOOKMAP_PREBUILT=1 node scripts/bench/console.mjs >"$out/console.json"

# The load runs on the bench variant (the bare batch route, x-storage-round-trips on answers);
# the production edge is rebuilt afterwards, so build/ holds what the sizes above describe.
printf '== bench: edge under load (wrk, %s s per target), on the bench feature'"'"'s build\n' "${BENCH_SECONDS:-10}"
HOOKMAP_WORKER_FEATURES=bench sh scripts/build-worker.sh edge >/dev/null
status=0
HOOKMAP_PREBUILT=1 node scripts/bench/edge.mjs >"$out/edge.jsonl" || status=$?
sh scripts/build-worker.sh edge >/dev/null
[ "$status" = 0 ] || { echo "bench: the edge benchmark failed" >&2; exit "$status"; }
cat "$out/edge.jsonl"

# Into a file of its own first: a report that fails leaves BENCHMARKS.md as it was.
node scripts/bench/report.mjs "$out" >"$out/BENCHMARKS.md"
mv "$out/BENCHMARKS.md" BENCHMARKS.md
printf '== bench: wrote BENCHMARKS.md\n'
