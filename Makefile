# The two commands a developer needs: `make dev` runs hookmap locally, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh): `make dev` only what running needs,
# `make test` the test tools too.

PORT ?= 8787
STATE ?= .wrangler/state
WRANGLER = . scripts/env.sh && npx wrangler

.PHONY: setup setup-run build budgets dev migrate test test-core test-wasm test-e2e fuzz bench lint vectors clean

setup:
	sh scripts/setup.sh

setup-run:
	sh scripts/setup.sh run

# The two workers, edge and API (crates/hookmap-worker/build/{edge,api}), and the page's wasm
# engine (www/pkg).
build: setup-run
	sh scripts/build-worker.sh
	sh scripts/build-page.sh

migrate: setup-run
	$(WRANGLER) d1 migrations apply DB --local --persist-to $(STATE)

# Serves the API and the edge URL on http://127.0.0.1:$(PORT) with local D1 and KV: the edge
# worker (wrangler.toml) answers, and passes /v1/... to the API worker (wrangler.api.toml) that
# runs beside it. wrangler builds each (their [build]) and rebuilds them when crates/ change; a
# build with nothing new to compile returns at once (scripts/build-worker.sh).
dev: migrate
	$(WRANGLER) dev -c wrangler.toml -c wrangler.api.toml --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE)

test: setup lint vectors test-core test-wasm fuzz build budgets test-e2e

# The production edge, the page's engine and the console's files against their gzipped size
# budgets (scripts/budgets/budgets.mjs); after `build`, which makes the production edge.
budgets:
	node scripts/budgets/check.mjs

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --target wasm32-unknown-unknown -- -D warnings
	# Each deployed worker is the crate with one feature (src/lib.rs).
	cargo clippy -p hookmap-worker --target wasm32-unknown-unknown --no-default-features --features edge -- -D warnings
	cargo clippy -p hookmap-worker --target wasm32-unknown-unknown --no-default-features --features api -- -D warnings
	# The edge as make bench builds it (its bench routes).
	cargo clippy -p hookmap-worker --target wasm32-unknown-unknown --no-default-features --features edge,bench -- -D warnings
	# The page's engine as scripts/build-page.sh builds it, without the tests' exports.
	cargo clippy -p hookmap-wasm --target wasm32-unknown-unknown --no-default-features -- -D warnings

# The committed known-answer vectors and JSON Schema verdicts must be exactly what the independent
# implementations make (Python's cryptography, hmac, decimal and jsonschema).
vectors:
	python3 tests/vectors/make_envelope_vectors.py | diff -u tests/vectors/envelope.json - && echo "vectors: up to date"
	python3 tests/vectors/make_signature_vectors.py | diff -u tests/vectors/signatures.json - && echo "signature vectors: up to date"
	python3 tests/vectors/make_decimal_vectors.py | diff -u tests/vectors/decimals.json - && echo "decimal vectors: up to date"
	python3 tests/jsonschema/make_cases.py | diff -u tests/jsonschema/cases.json - && echo "JSON Schema cases: up to date"

# The core, and the worker's pure pieces (its route table), natively.
test-core:
	cargo test -p hookmap-core
	cargo test -p hookmap-worker --lib

# The page's wasm facade, compiled to wasm32 and run under Node by wasm-bindgen-test-runner
# (.cargo/config.toml), on the same parity corpus as the native core.
test-wasm:
	. scripts/env.sh && cargo test -p hookmap-wasm --target wasm32-unknown-unknown

# Engine (native and wasm), sizes and the edge under load; writes BENCHMARKS.md. Not part of test.
bench: build
	sh scripts/bench.sh

# libFuzzer on the envelope, paths, mapping validation, plan, the JSON Schema subset, form requests and expressions, FUZZ_SECONDS each (scripts/fuzz.sh).
fuzz:
	sh scripts/fuzz.sh

# The suites start wrangler dev with HOOKMAP_PREBUILT=1: the build above is used as it is.
# page.test.mjs drives the page in headless Chromium; its screenshots land in tests/artifacts/.
test-e2e:
	. scripts/env.sh && node --test --test-concurrency=1 --test-timeout=300000 tests/e2e/

clean:
	cargo clean
	rm -rf crates/hookmap-worker/build .wrangler
