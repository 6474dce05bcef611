#!/usr/bin/env bash
# Daemon benchmarks of issue 6 (docs/benchmarks.md): notification -> Flag latency, idle RSS, and
# RSS during a large backfill, against tests/fhir-server with a Release `bonewatch`.
#
#   bash scripts/bench_daemon.sh [--notifications 500] [--rate 100] [--backfill-patients 100000]
#                                [--history 6] [--idle-seconds 30] [--build-dir build-rel]
#                                [--skip-latency] [--skip-backfill] [--no-build] [--keep]
#                                [--bonewatch PATH] [--external] [--config-extra 'JSON members,']
#                                [--background-patients P]
#
# 1. builds `bonewatch` (Release) in --build-dir (unless --no-build or --bonewatch PATH, which runs
#    that binary instead: e.g. an older release's, for figures before and after a change);
# 2. latency and idle RSS: tests/fhir-server (--indexed) with N patients on an aromatase
#    inhibitor and no DXA; `bonewatch backfill`, then `bonewatch run` (rest-hook Subscriptions,
#    poller every 600 s so that notifications carry the run); RSS at convergence and after
#    --idle-seconds; then N DXA Observations (T-score -3.0, one per patient) at --rate per second,
#    open loop; per Observation the POST round trip and the commit time of the patient's
#    `osteoporosis` Flag (the server's write log); RSS after;
#    --background-patients P: just before the notifications, P more patients of
#    scripts/generate_cohort.js are bulk-loaded and the daemon is told to poll now (an empty
#    rest-hook), so that the notifications arrive while it polls, maps and evaluates them: its
#    inbox and evaluation batches run the whole time ("while evaluations run", issue 13 item 10).
#    --external: the latency part against an external server with OAuth2 client credentials
#    instead of tests/fhir-server (FHIR_BASE, FHIR_TOKEN_URL, FHIR_CLIENT_ID, FHIR_CLIENT_SECRET, or
#    the MEDPLUM_* names of ../shared/tools/medplum's connection.env): the cohort is loaded with
#    scripts/fhir_load.js, and the Flag times are the Flags' meta.lastUpdated (no write log and no
#    delivery log there: run it on the server's machine, one clock). Implies --skip-backfill.
# 3. backfill RSS: a fresh server with scripts/generate_cohort.js --patients P plus --history K
#    extra in-scope Observations per patient (bulk-loaded), `bonewatch backfill` into an empty
#    store with VmRSS/VmHWM sampled every 100 ms;
# 4. prints a summary table (also in WORK/summary.txt).
# Figures, not assertions: the exit status is 0 when every part ran.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NOTIFICATIONS=500
RATE=100
BACKFILL_PATIENTS=100000
HISTORY=6
IDLE_SECONDS=30
BUILD_DIR=build-rel
DO_LATENCY=1
DO_BACKFILL=1
BUILD=1
KEEP=""
BONEWATCH=""
EXTERNAL=""
CONFIG_EXTRA=""
BACKGROUND=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --notifications) NOTIFICATIONS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --backfill-patients) BACKFILL_PATIENTS=$2; shift 2 ;;
    --history) HISTORY=$2; shift 2 ;;
    --idle-seconds) IDLE_SECONDS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --skip-latency) DO_LATENCY=""; shift ;;
    --skip-backfill) DO_BACKFILL=""; shift ;;
    --no-build) BUILD=""; shift ;;
    --keep) KEEP=1; shift ;;
    --external) EXTERNAL=1; DO_BACKFILL=""; shift ;;
    --config-extra) CONFIG_EXTRA=$2; shift 2 ;;
    --background-patients) BACKGROUND=$2; shift 2 ;;
    --bonewatch) BONEWATCH=$(realpath "$2"); BUILD=""; shift 2 ;;
    *) echo "bench_daemon.sh: unknown option $1" >&2; exit 64 ;;
  esac
done

say() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }
js() { node "$ROOT/scripts/bench_daemon.js" "$@"; }

if [[ -n "$BUILD" ]]; then
  say "building bonewatch (Release) in $BUILD_DIR/"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBONEWATCH_WERROR=ON >/dev/null
  nice cmake --build "$BUILD_DIR" -j2 --target bonewatch >&2
fi
if [[ -z "$BONEWATCH" ]]; then
  BONEWATCH=$ROOT/$BUILD_DIR/adapter/bonewatch
  grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" ||
    say "WARNING: $BUILD_DIR is not a Release build"
fi
[[ -x "$BONEWATCH" ]] || { echo "no $BONEWATCH (build it or drop --no-build)" >&2; exit 1; }

WORK=$(mktemp -d -t bonewatch-bench.XXXXXX)
SERVER_PID=""
DAEMON_PID=""
stop_pid() {  # stop_pid PID: SIGTERM and wait
  if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  local rc=$?
  stop_pid "$DAEMON_PID"
  stop_pid "$SERVER_PID"
  if [[ $rc -ne 0 || -n "$KEEP" ]]; then
    say "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'; }

start_server() {  # start_server NAME: sets SERVER_PID, FHIR, ADMIN
  : >"$WORK/$1.out"
  node --max-old-space-size=12288 tests/fhir-server/server.js --port 0 --indexed --ignore-stdin \
    >"$WORK/$1.out" 2>"$WORK/$1.err" &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 1 150); do
    port=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$WORK/$1.out")
    [[ -n "$port" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  [[ -n "$port" ]] || { echo "fhir-server did not start" >&2; cat "$WORK/$1.err" >&2; exit 1; }
  ADMIN=http://127.0.0.1:$port
  FHIR=$ADMIN/fhir
}

AUTH_JSON=""
if [[ -n "$EXTERNAL" ]]; then
  X_BASE=${FHIR_BASE:-${MEDPLUM_BASE:?--external: set FHIR_BASE or MEDPLUM_BASE}}
  X_TOKEN_URL=${FHIR_TOKEN_URL:-${MEDPLUM_TOKEN_URL:?}}
  X_CLIENT_ID=${FHIR_CLIENT_ID:-${MEDPLUM_CLIENT_ID:?}}
  X_CLIENT_SECRET=${FHIR_CLIENT_SECRET:-${MEDPLUM_CLIENT_SECRET:?}}
  export BONEWATCH_OAUTH_CLIENT_SECRET=$X_CLIENT_SECRET FHIR_LOAD_CLIENT_SECRET=$X_CLIENT_SECRET
  AUTH_JSON=", \"auth\": \"client-credentials\", \"oauthClientId\": \"$X_CLIENT_ID\", \"oauthTokenEndpoint\": \"$X_TOKEN_URL\""
fi

write_config() {  # write_config FILE STORE NOTIFY_PORT OPS_PORT
  cat >"$1" <<JSON
{
  "fhir": { "baseUrl": "$FHIR"$AUTH_JSON },
  "notifications": {
    "enabled": true,
    "listenAddress": "127.0.0.1",
    "port": $3,
    "publicEndpoint": "http://127.0.0.1:$3/fhir/notify"
  },
  "subscriptions": { "enabled": true },
  "poller": { "enabled": true, "intervalSeconds": 600 },
  "store": { "path": "$2" },
  "ops": { "listenAddress": "127.0.0.1", "port": $4 },
  "logging": { "format": "text", "level": "info" },
  $CONFIG_EXTRA
  "shutdownGraceSeconds": 10
}
JSON
}

rss_json() { js rss --pid "$1"; }

# --- 1. latency and idle RSS -----------------------------------------------------------------
if [[ -n "$DO_LATENCY" ]]; then
  if [[ -n "$EXTERNAL" ]]; then
    say "latency: external server $X_BASE, $NOTIFICATIONS patients"
    FHIR=$X_BASE
    js latency-cohort --patients "$NOTIFICATIONS" --batch-dir "$WORK/latency-batches" >&2
    node scripts/fhir_load.js --base "$FHIR" --token-url "$X_TOKEN_URL" --client-id "$X_CLIENT_ID" \
      --map "$WORK/id-map.json" "$WORK"/latency-batches/batch-*.json >&2
    SERVER_ARGS=(--token-url "$X_TOKEN_URL" --client-id "$X_CLIENT_ID" --id-map "$WORK/id-map.json")
  else
    say "latency: server, $NOTIFICATIONS patients"
    start_server latency-server
    js latency-cohort --patients "$NOTIFICATIONS" --out "$WORK/latency-cohort.json" >&2
    js load --admin "$ADMIN" "$WORK/latency-cohort.json" >&2
    SERVER_ARGS=(--admin "$ADMIN")
  fi
  NOTIFY_PORT=$(free_port)
  OPS_PORT=$(free_port)
  OPS=http://127.0.0.1:$OPS_PORT
  write_config "$WORK/latency.json.conf" "$WORK/latency.db" "$NOTIFY_PORT" "$OPS_PORT"
  SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  say "latency: bonewatch backfill of the $NOTIFICATIONS patients"
  "$BONEWATCH" backfill --config "$WORK/latency.json.conf" 2>"$WORK/latency-backfill.err" >&2
  say "latency: bonewatch run"
  BONEWATCH_NOTIFY_SECRET=$SECRET "$BONEWATCH" run --config "$WORK/latency.json.conf" 2>"$WORK/daemon.log" &
  DAEMON_PID=$!
  js wait-converged --ops "$OPS" --timeout 120 >"$WORK/converged-status.json"
  IDLE_CONVERGED=$(rss_json "$DAEMON_PID")
  say "latency: converged ($IDLE_CONVERGED); idle for $IDLE_SECONDS s"
  sleep "$IDLE_SECONDS"
  IDLE_LATER=$(rss_json "$DAEMON_PID")
  if (( BACKGROUND > 0 )); then
    [[ -z "$EXTERNAL" ]] || { echo "--background-patients needs the test server" >&2; exit 64; }
    node scripts/generate_cohort.js --patients "$BACKGROUND" --batch 5000 --out "$WORK/background" >&2
    js load --admin "$ADMIN" "$WORK"/background/batch-*.json >&2
    # An empty rest-hook: "poll now" (the poll interval is 600 s).
    node -e 'const r=require("http").request(process.argv[1],{method:"POST",headers:{"x-bonewatch-secret":process.argv[2],"content-length":0}},(res)=>{res.resume();process.exit(res.statusCode===200?0:1)});r.end()' \
      "http://127.0.0.1:$NOTIFY_PORT/fhir/notify" "$SECRET"
    say "latency: $BACKGROUND background patients loaded; the daemon polls and evaluates them meanwhile"
  fi
  say "latency: $NOTIFICATIONS DXA Observations at $RATE/s"
  js latency --fhir "$FHIR" "${SERVER_ARGS[@]}" --notifications "$NOTIFICATIONS" --rate "$RATE" \
    --notify "http://127.0.0.1:$NOTIFY_PORT/fhir/notify" --notify-secret "$SECRET" \
    --out "$WORK/latency.json" >&2
  js wait-converged --ops "$OPS" --timeout 120 >"$WORK/after-status.json" || true
  AFTER=$(rss_json "$DAEMON_PID")
  node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({
      ["at convergence ('"$NOTIFICATIONS"' patients known)"]: JSON.parse(process.argv[2]),
      ["idle after '"$IDLE_SECONDS"' s"]: JSON.parse(process.argv[3]),
      ["after the latency run"]: JSON.parse(process.argv[4]) }))' \
    "$WORK/idle.json" "$IDLE_CONVERGED" "$IDLE_LATER" "$AFTER"
  curl_metrics=$(node -e 'require("http").get(process.argv[1],(r)=>{let s="";r.on("data",d=>s+=d);r.on("end",()=>console.log(s))})' "$OPS/metrics")
  echo "$curl_metrics" >"$WORK/latency-metrics.txt"
  stop_pid "$DAEMON_PID"; DAEMON_PID=""
  stop_pid "$SERVER_PID"; SERVER_PID=""
fi

# --- 2. backfill RSS ---------------------------------------------------------------------------
if [[ -n "$DO_BACKFILL" ]]; then
  say "backfill: generating $BACKFILL_PATIENTS patients"
  node scripts/generate_cohort.js --patients "$BACKFILL_PATIENTS" --batch 5000 --out "$WORK/cohort" >&2
  start_server backfill-server
  js load --admin "$ADMIN" --history "$HISTORY" --validate false "$WORK"/cohort/batch-*.json >&2
  rm -rf "$WORK/cohort"
  RESOURCES=0
  for t in Patient Observation MedicationStatement MedicationRequest Condition Procedure; do
    RESOURCES=$(( RESOURCES + $(js count --fhir "$FHIR" "$t") ))
  done
  write_config "$WORK/backfill.json.conf" "$WORK/backfill.db" "$(free_port)" "$(free_port)"
  say "backfill: bonewatch backfill ($RESOURCES resources on the server), RSS every 100 ms"
  T0=$(date +%s.%N)
  "$BONEWATCH" backfill --config "$WORK/backfill.json.conf" 2>"$WORK/backfill.err" >"$WORK/backfill.out" &
  BF_PID=$!
  js sample-rss --pid "$BF_PID" --out "$WORK/backfill-rss.txt" --interval-ms 100 &
  SAMPLER=$!
  BF_EXIT=0
  wait "$BF_PID" || BF_EXIT=$?
  T1=$(date +%s.%N)
  wait "$SAMPLER" || true
  tr '\r' '\n' <"$WORK/backfill.err" | tail -n 3 >&2
  cat "$WORK/backfill.out" >&2
  IN_SCOPE=$(tr '\r' '\n' <"$WORK/backfill.err" | sed -n 's/^backfill: [0-9]*\/\([0-9]*\) patients.*/\1/p' | tail -1)
  FLAGS=$(js count --fhir "$FHIR" Flag)
  CAREPLANS=$(js count --fhir "$FHIR" CarePlan)
  STATS=$(js rss-stats --samples "$WORK/backfill-rss.txt")
  node -e 'const s=JSON.parse(process.argv[2]);require("fs").writeFileSync(process.argv[1], JSON.stringify({
      patients: Number(process.argv[3]), inScope: Number(process.argv[4]), resources: Number(process.argv[5]),
      seconds: Number(process.argv[6]), exit: Number(process.argv[7]), flags: Number(process.argv[8]),
      carePlans: Number(process.argv[9]), ...s }))' \
    "$WORK/backfill.json" "$STATS" "$BACKFILL_PATIENTS" "${IN_SCOPE:-0}" "$RESOURCES" \
    "$(awk "BEGIN{print $T1 - $T0}")" "$BF_EXIT" "$FLAGS" "$CAREPLANS"
  stop_pid "$SERVER_PID"; SERVER_PID=""
fi

# --- 3. summary ---------------------------------------------------------------------------------
{
  echo "BoneWatch daemon benchmarks, $(date -u +%FT%TZ), $(nproc) cores, load:$(uptime | sed 's/.*load average//')"
  echo "bonewatch: $BONEWATCH ($("$BONEWATCH" --version 2>/dev/null | head -1); tree $(git rev-parse --short HEAD))"
  js summary --dir "$WORK"
} | tee "$WORK/summary.txt"
