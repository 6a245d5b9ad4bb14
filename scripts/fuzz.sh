#!/bin/sh
# Runs each libFuzzer target of fuzz/ for FUZZ_SECONDS (default 15), after replaying the inputs
# kept in fuzz/regressions/<target>/ (every crash ever found becomes such a file), starting from
# fuzz/seeds/<target>/ where there is one.
# cargo fuzz needs nightly flags: RUSTC_BOOTSTRAP lets this machine's stable toolchain accept
# them; --sanitizer none because stable has no sanitizer runtimes (coverage guidance still works).
set -eu
. "$(dirname "$0")/env.sh"
cd "$root/fuzz"
seconds=${FUZZ_SECONDS:-15}
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in envelope paths mapping plan schema form expr; do
  # A target that no longer compiles is a build error, not a crash: say which.
  if ! cargo fuzz build --sanitizer none "$target" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target does not build (see above)" >&2
    exit 1
  fi
  if [ -d "regressions/$target" ] && [ -n "$(ls -A "regressions/$target")" ]; then
    printf '== fuzz: replaying the regressions of %s\n' "$target"
    cargo fuzz run --sanitizer none "$target" "regressions/$target" -- -runs=0
  fi
  printf '== fuzz: %s for %s s\n' "$target" "$seconds"
  mkdir -p "corpus/$target"
  seeds=""
  if [ -d "seeds/$target" ]; then seeds="seeds/$target"; fi
  # shellcheck disable=SC2086 # $seeds is empty or one folder
  if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" $seeds -- -max_total_time="$seconds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target crashed; the input is in fuzz/artifacts/$target: fix it and add it to fuzz/regressions/$target" >&2
    exit 1
  fi
  grep -E '^Done' "$log"
done
