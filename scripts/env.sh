# Sourced by the other scripts: where the locally installed build tools are, so worker-build and
# wrangler never try to download anything.
export PATH="$HOME/.cargo/bin:$PATH"
# The repository root. Run as a script, $0 is that script (in scripts/); sourced by make, $0 is the
# shell, so the root is then the nearest folder up from the working one that holds wrangler.toml.
root=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)
if [ ! -f "$root/wrangler.toml" ]; then
  root=$PWD
  while [ "$root" != / ] && [ ! -f "$root/wrangler.toml" ]; do root=$(dirname "$root"); done
fi
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
# The features rustc's wasm32-unknown-unknown target enables by default, which wasm-opt must accept.
export WASM_OPT_FEATURES="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue"
export ESBUILD_BIN="$root/node_modules/@esbuild/linux-x64/bin/esbuild"
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="$root/.wrangler/logs"
