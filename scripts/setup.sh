#!/bin/sh
# Installs what building and testing hookmap needs, skipping whatever is already there. Each piece
# prints one line saying where setup is ("[3/9] worker-build 0.8.7: present", or what it installs
# and how long that took); a failure names the piece and the fix. Everything comes from the
# package registries through their ordinary clients.
# `setup.sh run` installs only what building and running needs (make dev); `setup.sh` (make test)
# adds the test tools: cargo-fuzz, Chromium, the Python modules the corpora are made with,
# schemathesis.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"

mode=${1:-test}
case "$mode" in
  run) total=5 ;;
  test) total=10 ;;
  *) echo "setup.sh: no mode named $mode (run, test)" >&2; exit 2 ;;
esac
n=0 what="" started=0
piece() { n=$((n + 1)) what=$1; }
present() { printf '[%s/%s] %s: present\n' "$n" "$total" "$what"; }
installing() {
  printf '[%s/%s] %s: installing %s\n' "$n" "$total" "$what" "$1"
  started=$(date +%s)
}
installed() { printf '[%s/%s] %s: installed in %ss\n' "$n" "$total" "$what" "$(($(date +%s) - started))"; }
fail() {
  printf '\nsetup failed at [%s/%s] %s: %s\n  fix: %s\n' "$n" "$total" "$what" "$1" "$2" >&2
  exit 1
}
# Retrying is safe: every piece checks what is there first.
again="then run \`make setup\` again; it resumes where it stopped"
registry="check that this machine reaches the package registry ($again)"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

piece "the toolchains (cargo, rustup, npm$([ "$mode" = test ] && echo ', python3'))"
command -v cargo >/dev/null && command -v rustup >/dev/null \
  || fail "cargo or rustup is missing" "install Rust with rustup (the stable toolchain), $again"
command -v npm >/dev/null || fail "npm is missing" "install Node.js 20 or newer with npm, $again"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || fail "Node.js $(node --version) is too old" "install Node.js 20 or newer, $again"
[ "$mode" = run ] || command -v python3 >/dev/null \
  || fail "python3 is missing" "install Python 3 with pip and venv, $again"
present

piece "the wasm32-unknown-unknown Rust target"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  present
else
  installing "with rustup"
  rustup target add wasm32-unknown-unknown || fail "rustup could not add the target" "$registry"
  installed
fi

# worker-build prints its bare version ("0.8.7").
piece "worker-build 0.8.7"
if [ "$(worker-build --version 2>/dev/null)" = "0.8.7" ]; then
  present
else
  installing "with cargo (about 4 minutes on 2 cores)"
  cargo install worker-build --version 0.8.7 || fail "cargo install worker-build failed" "$registry"
  installed
fi

# Must equal the wasm-bindgen version pinned in Cargo.toml. Not --locked: one locked dependency
# version of this release is no longer in the registry.
piece "wasm-bindgen-cli 0.2.130"
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen 0.2.130" ]; then
  present
else
  installing "with cargo (about 3 minutes)"
  cargo install wasm-bindgen-cli --version 0.2.130 \
    || fail "cargo install wasm-bindgen-cli failed" "$registry"
  installed
fi

piece "npm packages (wrangler, binaryen, playwright-core, axe-core)"
if [ -x node_modules/.bin/wrangler ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  present
else
  installing "from package-lock.json with npm ci"
  npm ci --no-audit --no-fund || fail "npm ci failed" "$registry; if node_modules is damaged, delete it first"
  installed
fi
[ -x "$ESBUILD_BIN" ] \
  || fail "esbuild is missing at $ESBUILD_BIN (it comes with wrangler)" "delete node_modules, $again"

if [ "$mode" = run ]; then
  [ "$n" = "$total" ] || fail "counted $n pieces, not $total" "fix total= in scripts/setup.sh"
  printf '== setup: all %s pieces that running needs are present (make test adds the test tools)\n' "$total"
  exit 0
fi

piece "cargo-fuzz"
if cargo fuzz --version >/dev/null 2>&1; then
  present
else
  installing "with cargo (about 3 minutes)"
  cargo install cargo-fuzz || fail "cargo install cargo-fuzz failed" "$registry"
  installed
fi

# The browser tests drive Debian's Chromium and run the page's curl command.
piece "Debian's chromium, chromium-driver and curl (browser tests)"
if [ -x /usr/bin/chromium ] && command -v curl >/dev/null; then
  present
else
  installing "with apt-get"
  command -v apt-get >/dev/null \
    || fail "apt-get is missing" "install Chromium, ChromeDriver and curl with this system's package manager"
  $sudo apt-get update -qq || fail "apt-get update failed" "run as root or with sudo, and check that Debian's mirrors are reachable"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver curl \
    || fail "apt-get install chromium chromium-driver curl failed" "run as root or with sudo ($again)"
  installed
fi

# A Python module the test corpora are made with, installed by pip when it is missing.
pip_piece() {
  piece "Python $1 ($2)"
  if python3 -c "import $1" 2>/dev/null; then
    present
  else
    installing "with pip"
    python3 -m pip install --quiet "$1" || fail "pip install $1 failed" "$registry"
    installed
  fi
}
pip_piece cryptography "makes the envelope test vectors"
pip_piece jsonschema "makes the JSON Schema test corpus"

# The end-to-end suite's schemathesis run (tests/e2e/schemathesis.test.mjs), in a project-local
# virtualenv so that nothing else on the machine moves it. Pinned exactly: a new release may
# generate other cases or check more.
SCHEMATHESIS_VERSION=4.32.5
piece "schemathesis $SCHEMATHESIS_VERSION in .venv (OpenAPI tests)"
if [ "$(.venv/bin/schemathesis --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  present
else
  installing "with pip into .venv (about a minute)"
  [ -x .venv/bin/python ] || python3 -m venv .venv \
    || fail "python3 -m venv .venv failed" "on Debian: apt-get install python3-venv, $again"
  .venv/bin/python -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" \
    || fail "pip install schemathesis==$SCHEMATHESIS_VERSION failed" "$registry"
  installed
fi

[ "$n" = "$total" ] || fail "counted $n pieces, not $total" "fix total= in scripts/setup.sh"
printf '== setup: all %s pieces present\n' "$total"
