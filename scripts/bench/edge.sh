#!/bin/sh
# Load against a running `wrangler dev` on loopback with wrk: a constant route, the bare D1 batch a
# delivery writes (a bench-only route), and the real edge URL, plain and GCM. Prints one JSON line
# per target: requests/s, p50, p99, and the storage round trips the worker counted per request.
# Usage: edge.sh BASE_URL HOOK_URL_PLAIN HOOK_URL_GCM GCM_BODY_FILE BATCH_URL
set -eu
base=$1 plain=$2 gcm=$3 gcm_body=$4 batch=$5
seconds=${BENCH_SECONDS:-10}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Each request is a fresh delivery: the body (and its idempotency key) changes per request.
cat >"$dir/plain.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email":"bench@example.com","key":"%d-%d","n":1}', math.random(1, 1e9), n)
  return wrk.format("POST", nil, {["content-type"] = "application/json"}, body)
end
LUA
printf 'wrk.method = "POST"\nwrk.body = io.open("%s"):read("*a")\nwrk.headers["content-type"] = "application/json"\n' "$gcm_body" >"$dir/gcm.lua"
printf 'wrk.method = "POST"\n' >"$dir/post.lua"
# One request with curl, after the previous load has drained and a first request has warmed the
# caches: its x-storage-round-trips header is the steady-state count (the worker counts per isolate,
# so it is read with nothing else in flight).
probe() {
  url=$1 method=$2 body=$3
  for attempt in warm measure; do
    sleep 1
    [ "$body" = plain ] && printf '{"email":"bench@example.com","key":"probe-%s-%s","n":1}' "$attempt" "$$" >"$dir/probe.json"
    data=/dev/null
    case $body in plain) data="$dir/probe.json" ;; gcm) data="$gcm_body" ;; esac
    trips=$(curl -s --max-time 30 -o /dev/null -D - -X "$method" -H 'content-type: application/json' --data-binary @"$data" "$url" \
      | tr -d '\r' | awk -F': ' 'tolower($1) == "x-storage-round-trips" {print $2}')
  done
  printf '%s' "${trips:-?}"
}
run() {
  name=$1 url=$2 script=$3
  case $script in
    get) trips=$(probe "$url" GET none) ;;
    post) trips=$(probe "$url" POST none) ;;
    *) trips=$(probe "$url" POST "$script") ;;
  esac
  if [ "$script" = get ]; then
    out=$(wrk -t2 -c16 -d"${seconds}s" --latency "$url")
  else
    out=$(wrk -t2 -c16 -d"${seconds}s" --latency -s "$dir/$script.lua" "$url")
  fi
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $5}')
  printf '{"name":"%s","rps":%s,"p50":"%s","p99":"%s","non_2xx":%s,"round_trips":"%s"}\n' \
    "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$trips"
  sleep 2
}
run "constant route (405, no storage)" "$base/hooks/bench" get
# The same request generator as the plain deliveries, so the client costs the same on both.
run "bare D1 batch of a delivery" "$batch" plain
run "POST /hooks/{token}, plain" "$plain" plain
run "POST /hooks/{token}, GCM" "$gcm" gcm
