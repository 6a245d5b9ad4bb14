#!/bin/sh
# Installs what building and testing hookmap needs, skipping whatever is already there.
# Everything comes from the package registries through their ordinary clients.
set -eu
. "$(dirname "$0")/env.sh"
cd "$root"

step() { printf '\n== setup: %s\n' "$*"; }
fail() { printf '\nsetup failed: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is missing: install Rust with rustup first"
command -v npm >/dev/null || fail "npm is missing: install Node.js 20 or newer with npm"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown || fail "rustup could not add wasm32-unknown-unknown"
fi

# worker-build prints its bare version ("0.8.7").
if [ "$(worker-build --version 2>/dev/null)" != "0.8.7" ]; then
  step "installing worker-build 0.8.7 with cargo (about 4 minutes on 2 cores)"
  cargo install worker-build --version 0.8.7 || fail "cargo install worker-build failed"
fi

# Must equal the wasm-bindgen version pinned in Cargo.toml. Not --locked: one locked dependency
# version of this release is no longer in the registry.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
  step "installing wasm-bindgen-cli 0.2.130 with cargo (about 3 minutes)"
  cargo install wasm-bindgen-cli --version 0.2.130 || fail "cargo install wasm-bindgen-cli failed"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  step "installing cargo-fuzz with cargo (about 3 minutes)"
  cargo install cargo-fuzz || fail "cargo install cargo-fuzz failed"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (wrangler, binaryen) from package-lock.json"
  npm ci --no-audit --no-fund || fail "npm ci failed"
fi
[ -x "$ESBUILD_BIN" ] || fail "esbuild is missing at $ESBUILD_BIN (it comes with wrangler): run npm ci"

# The browser tests drive Debian's Chromium and run the page's curl command.
if [ ! -x /usr/bin/chromium ] || ! command -v curl >/dev/null; then
  step "installing Debian's chromium, chromium-driver and curl (browser tests)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver curl \
    || fail "apt-get install chromium chromium-driver curl failed"
fi

if ! python3 -c 'import cryptography' 2>/dev/null; then
  step "installing Python cryptography (regenerates the envelope test vectors)"
  python3 -m pip install --quiet cryptography || fail "pip install cryptography failed"
fi

# The end-to-end suite's schemathesis run (tests/e2e/schemathesis.test.mjs), in a project-local
# virtualenv so that nothing else on the machine moves it. Pinned exactly: a new release may
# generate other cases or check more.
SCHEMATHESIS_VERSION=4.32.5
if [ "$(.venv/bin/schemathesis --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  step "installing schemathesis $SCHEMATHESIS_VERSION with pip into .venv (OpenAPI tests)"
  [ -x .venv/bin/python ] || python3 -m venv .venv || fail "python3 -m venv .venv failed (Debian: apt-get install python3-venv)"
  .venv/bin/python -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" \
    || fail "pip install schemathesis==$SCHEMATHESIS_VERSION failed"
fi
printf '== setup: done\n'
