#!/usr/bin/env bash
# BoneWatch demo: the daemon against a local FHIR server with a synthetic cohort.
#
#   bash scripts/demo.sh            # installs, builds (Release), runs, prints a summary, stops
#   DEMO_PATIENTS=400 bash scripts/demo.sh
#
# 1. scripts/setup.sh (Debian packages, npm ci) and a Release build of `bonewatch`;
# 2. tests/fhir-server on an ephemeral loopback port;
# 3. half of a generated cohort (scripts/generate_cohort.js) is loaded before the daemon starts
#    (found by the poller), the other half after (delivered by rest-hook Subscriptions);
# 4. `bonewatch run` with a temporary config (store in a temp dir, notification endpoint on
#    loopback with a shared secret, ops port); waits until /status says it has converged;
# 5. prints patients monitored, Flags by rule, CarePlans by status, and curl lines;
# 6. stops everything (trap EXIT), the daemon with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PATIENTS=${DEMO_PATIENTS:-200}
BUILD_DIR=${DEMO_BUILD_DIR:-build}

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

if [[ -z "${DEMO_SKIP_SETUP:-}" ]]; then
  bash scripts/setup.sh
fi
say "building bonewatch (Release) in $BUILD_DIR/"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBONEWATCH_BUILD_TESTS=OFF \
  -DBONEWATCH_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j2 --target bonewatch
BONEWATCH=$ROOT/$BUILD_DIR/adapter/bonewatch

WORK=$(mktemp -d -t bonewatch-demo.XXXXXX)
SERVER_PID=""
DAEMON_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/daemon.log" ]]; then
    echo "--- last daemon log lines ($WORK/daemon.log) ---"
    tail -n 30 "$WORK/daemon.log"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# HTTP through node (curl is not guaranteed on a fresh machine).
hget() {  # hget URL: body on stdout; fails unless 2xx
  node -e 'require("http").get(process.argv[1],(r)=>{let s="";r.on("data",(d)=>s+=d);
    r.on("end",()=>{process.stdout.write(s);process.exit(r.statusCode>=200&&r.statusCode<300?0:1);});})
    .on("error",()=>process.exit(2));' "$1"
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'; }

# --- the FHIR server -------------------------------------------------------------------------
say "starting tests/fhir-server"
: >"$WORK/server.out"
node tests/fhir-server/server.js --port 0 --ignore-stdin >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
FHIR_PORT=""
for _ in $(seq 1 150); do
  FHIR_PORT=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$WORK/server.out")
  [[ -n "$FHIR_PORT" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.2
done
[[ -n "$FHIR_PORT" ]] || { echo "fhir-server did not start"; cat "$WORK/server.err"; exit 1; }
FHIR=http://127.0.0.1:$FHIR_PORT/fhir
say "FHIR server at $FHIR"

# --- the cohort --------------------------------------------------------------------------------
node scripts/generate_cohort.js --patients "$PATIENTS" --out "$WORK/cohort" | sed 's/^/demo: /'
load() {  # load FILE...: POST each batch Bundle to the FHIR base, fail on any failed entry
  node -e '
    const fs=require("fs"),http=require("http");const [base,...files]=process.argv.slice(1);
    (async()=>{for(const f of files){const body=fs.readFileSync(f);
      const text=await new Promise((ok,ko)=>{const u=new URL(base);
        const req=http.request({host:u.hostname,port:u.port,path:u.pathname,method:"POST",
          headers:{"Content-Type":"application/fhir+json","Content-Length":body.length}},(r)=>{
          let s="";r.on("data",(d)=>s+=d);r.on("end",()=>r.statusCode===200?ok(s):ko(new Error(f+": HTTP "+r.statusCode+" "+s)));});
        req.on("error",ko);req.end(body);});
      const bad=(JSON.parse(text).entry||[]).filter((e)=>!/^2/.test(e.response.status));
      if(bad.length)throw new Error(f+": "+JSON.stringify(bad[0]));}})().catch((e)=>{console.error(e.message);process.exit(1);});
  ' "$FHIR" "$@"
}
mapfile -t BATCHES < <(ls "$WORK"/cohort/batch-*.json)
HALF=$(( ${#BATCHES[@]} / 2 ))
load "${BATCHES[@]:0:$HALF}"
say "loaded ${HALF} of ${#BATCHES[@]} batches before the daemon starts (the poller finds them)"

# --- the daemon --------------------------------------------------------------------------------
NOTIFY_PORT=$(free_port)
OPS_PORT=$(free_port)
SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$WORK/bonewatch.json" <<JSON
{
  "fhir": { "baseUrl": "$FHIR" },
  "notifications": {
    "enabled": true,
    "listenAddress": "127.0.0.1",
    "port": $NOTIFY_PORT,
    "publicEndpoint": "http://127.0.0.1:$NOTIFY_PORT/fhir/notify"
  },
  "subscriptions": { "enabled": true },
  "poller": { "enabled": true, "intervalSeconds": 5 },
  "store": { "path": "$WORK/bonewatch.db" },
  "ops": { "listenAddress": "127.0.0.1", "port": $OPS_PORT },
  "logging": { "format": "text", "level": "info" },
  "shutdownGraceSeconds": 10
}
JSON
say "starting: bonewatch run --config $WORK/bonewatch.json (log: $WORK/daemon.log)"
BONEWATCH_NOTIFY_SECRET=$SECRET "$BONEWATCH" run --config "$WORK/bonewatch.json" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
OPS=http://127.0.0.1:$OPS_PORT
for _ in $(seq 1 100); do
  hget "$OPS/readyz" >/dev/null 2>&1 && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { echo "the daemon exited"; exit 1; }
  sleep 0.2
done
hget "$OPS/readyz" >/dev/null || { echo "the daemon did not become ready"; hget "$OPS/readyz"; exit 1; }
say "daemon ready (ops $OPS)"

# The rest of the cohort arrives while the daemon runs: rest-hook notifications (and the poller).
sleep 1
load "${BATCHES[@]:$HALF}"
say "loaded the other $(( ${#BATCHES[@]} - HALF )) batches"

# --- convergence: /status converged for 3 consecutive checks after a poll has run --------------
START=$(date +%s)
stable=0
while (( stable < 3 )); do
  sleep 2
  kill -0 "$DAEMON_PID" 2>/dev/null || { echo "the daemon exited"; exit 1; }
  status=$(hget "$OPS/status" || echo '{}')
  if node -e 'const s=JSON.parse(process.argv[1]);process.exit(s.converged&&s.inbox===0?0:1)' "$status"; then
    stable=$((stable + 1))
  else
    stable=0
  fi
  (( $(date +%s) - START < 150 )) || { echo "not converged after 150 s: $status"; exit 1; }
done
say "converged in $(( $(date +%s) - START )) s: $status"

# --- summary -----------------------------------------------------------------------------------
fetch_all() {  # fetch_all Type: every resource of that type as a JSON array (follows next links)
  node -e '
    const http=require("http");let url=process.argv[1]+"/"+process.argv[2]+"?_count=1000";const out=[];
    const get=(u)=>http.get(u,{headers:{Accept:"application/fhir+json"}},(r)=>{let s="";r.on("data",d=>s+=d);r.on("end",()=>{
      const b=JSON.parse(s);for(const e of b.entry||[])out.push(e.resource);
      const next=(b.link||[]).find(l=>l.relation==="next");
      if(next)get(next.url);else console.log(JSON.stringify(out));});});
    get(url);' "$FHIR" "$1"
}
fetch_all Flag >"$WORK/flags.json"
fetch_all CarePlan >"$WORK/careplans.json"
echo
node -e '
  const fs=require("fs");const flags=JSON.parse(fs.readFileSync(process.argv[1]));
  const plans=JSON.parse(fs.readFileSync(process.argv[2]));
  const count=(xs,f)=>xs.reduce((m,x)=>(m[f(x)]=(m[f(x)]||0)+1,m),{});
  const monitored=new Set(plans.filter(p=>p.status==="active").map(p=>p.subject&&p.subject.reference));
  console.log("Patients monitored (active CarePlan): "+monitored.size+" of '"$PATIENTS"' in the cohort");
  console.log("CarePlans by status: "+JSON.stringify(count(plans,p=>p.status)));
  const active=flags.filter(f=>f.status==="active");
  console.log("Flags: "+flags.length+" ("+JSON.stringify(count(flags,f=>f.status))+")");
  console.log("Active Flags by rule:");
  const byRule=count(active,f=>((f.code&&f.code.coding)||[{}])[0].code||"?");
  for(const [rule,n] of Object.entries(byRule).sort()) console.log("  "+rule.padEnd(28)+String(n).padStart(4));
' "$WORK/flags.json" "$WORK/careplans.json"
echo
hget "$OPS/metrics" >"$WORK/metrics.txt" || true
grep -E '^bonewatch_(evaluations_total|inbox_depth|dead_letters|facts) ' "$WORK/metrics.txt" || true
grep -E '^bonewatch_(notifications_received_total|writes_total)\{' "$WORK/metrics.txt" | head -8 || true
echo
say "look at the results while it runs (this demo stops everything when it exits):"
cat <<TXT
  curl -s '$FHIR/Flag?status=active&_count=5' | head -c 1500
  curl -s '$FHIR/CarePlan?subject=Patient/demo-0002'
  curl -s '$OPS/metrics' | grep ^bonewatch_
  curl -s '$OPS/status'
  $BONEWATCH dead-letters list --config $WORK/bonewatch.json
TXT
if [[ -n "${DEMO_PAUSE:-}" ]]; then
  say "DEMO_PAUSE set: press Enter to stop"
  read -r _
fi
say "stopping the daemon (SIGTERM)"
kill -TERM "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
say "daemon exited with status $rc"
[[ $rc -eq 0 ]]
