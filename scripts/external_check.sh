#!/usr/bin/env bash
# By hand, never in CI: the daemon against an external FHIR server with OAuth2 client
# credentials (issue 13's "Done when" on a real Medplum 5.0.2, ../shared/tools/medplum).
#
#   . /tmp/medplum-work/connection.env     # MEDPLUM_BASE, MEDPLUM_TOKEN_URL, MEDPLUM_CLIENT_ID/SECRET
#   bash scripts/external_check.sh [--patients 200] [--bonewatch PATH] [--build-dir build-rel]
#                                  [--invalidate-tokens CMD] [--keep]
#
# 1. generates the demo cohort (scripts/generate_cohort.js: DXA panels, Medication references,
#    every rule) and what `bonewatch evaluate` says of it: active Flags by rule, CarePlans;
# 2. loads half of it (scripts/fhir_load.js: transactions of POSTs, the server's ids), starts
#    `bonewatch run` with `fhir.auth: client-credentials` (secret from BONEWATCH_OAUTH_CLIENT_SECRET),
#    rest-hook Subscriptions and a 10-minute poll interval (so notifications carry the run),
#    loads the other half and waits until /status is converged;
# 3. compares the server's active Flags by rule (of this run's patients) with evaluate's, and
#    prints the daemon's Subscription, notification, dead-letter and token figures;
# 4. runs --invalidate-tokens CMD (default for ../shared/tools/medplum: restart its Redis without
#    its snapshot, which makes every issued token answer 401), writes one more DXA panel
#    (T-score -3.1) for a patient without osteoporosis, and waits for its osteoporosis Flag;
#    bonewatch_fhir_reauthorizations_total must have risen.
# Exit 0 when every check holds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PATIENTS=200
BUILD_DIR=build-rel
BONEWATCH=""
KEEP=""
W=${MEDPLUM_WORK:-/tmp/medplum-work}
REDIS_PORT=${MEDPLUM_REDIS_PORT:-6380}
INVALIDATE="redis-cli -h 127.0.0.1 -p $REDIS_PORT -a medplum --no-auth-warning SHUTDOWN NOSAVE >/dev/null 2>&1 || true; sleep 1; rm -f $W/redis/dump.rdb; redis-server $W/redis/redis.conf; sleep 1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --patients) PATIENTS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --bonewatch) BONEWATCH=$(realpath "$2"); shift 2 ;;
    --invalidate-tokens) INVALIDATE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "external_check.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
BASE=${FHIR_BASE:-${MEDPLUM_BASE:?set MEDPLUM_BASE (source connection.env) or FHIR_BASE}}
TOKEN_URL=${FHIR_TOKEN_URL:-${MEDPLUM_TOKEN_URL:?}}
CLIENT_ID=${FHIR_CLIENT_ID:-${MEDPLUM_CLIENT_ID:?}}
CLIENT_SECRET=${FHIR_CLIENT_SECRET:-${MEDPLUM_CLIENT_SECRET:?}}
BONEWATCH=${BONEWATCH:-$ROOT/$BUILD_DIR/adapter/bonewatch}
[[ -x "$BONEWATCH" ]] || { echo "no $BONEWATCH: build it (cmake --build $BUILD_DIR --target bonewatch)" >&2; exit 1; }

say() { printf '\033[1mexternal:\033[0m %s\n' "$*" >&2; }
WORK=$(mktemp -d -t bonewatch-external.XXXXXX)
DAEMON_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 || -n "$KEEP" ]]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'; }
hget() { node -e 'require("http").get(process.argv[1],(r)=>{let s="";r.on("data",d=>s+=d);r.on("end",()=>{console.log(s);process.exit(r.statusCode<400?0:1)})}).on("error",()=>process.exit(1))' "$1"; }
load() { FHIR_LOAD_CLIENT_SECRET=$CLIENT_SECRET node scripts/fhir_load.js --base "$BASE" --token-url "$TOKEN_URL" --client-id "$CLIENT_ID" --map "$WORK/id-map.json" "$@" >&2; }
metric() { grep -E "^$1 " "$WORK/metrics.txt" | awk '{s+=$2} END{print s+0}'; }

# --- 1. cohort and what evaluate says --------------------------------------------------------
node scripts/generate_cohort.js --patients "$PATIENTS" --out "$WORK/cohort" >&2
mapfile -t BATCHES < <(ls "$WORK"/cohort/batch-*.json)
"$BONEWATCH" evaluate --format bundle "${BATCHES[@]}" >"$WORK/expected.json"

# --- 2. load, run, load ----------------------------------------------------------------------
HALF=$(( ${#BATCHES[@]} / 2 ))
load "${BATCHES[@]:0:$HALF}"
NOTIFY_PORT=$(free_port)
OPS_PORT=$(free_port)
OPS=http://127.0.0.1:$OPS_PORT
cat >"$WORK/bonewatch.json" <<JSON
{
  "fhir": { "baseUrl": "$BASE", "auth": "client-credentials", "oauthClientId": "$CLIENT_ID",
            "oauthTokenEndpoint": "$TOKEN_URL" },
  "notifications": { "enabled": true, "listenAddress": "127.0.0.1", "port": $NOTIFY_PORT,
                     "publicEndpoint": "http://127.0.0.1:$NOTIFY_PORT/fhir/notify" },
  "subscriptions": { "enabled": true },
  "poller": { "enabled": true, "intervalSeconds": 600 },
  "store": { "path": "$WORK/bonewatch.db" },
  "ops": { "listenAddress": "127.0.0.1", "port": $OPS_PORT },
  "logging": { "format": "text", "level": "info" },
  "shutdownGraceSeconds": 10
}
JSON
SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
say "bonewatch run against $BASE (log: $WORK/daemon.log)"
BONEWATCH_OAUTH_CLIENT_SECRET=$CLIENT_SECRET BONEWATCH_NOTIFY_SECRET=$SECRET \
  "$BONEWATCH" run --config "$WORK/bonewatch.json" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
wait_converged() {  # wait_converged LIMIT_S: /status converged, inbox 0 (scripts/bench_daemon.js)
  local start
  start=$(date +%s)
  node scripts/bench_daemon.js wait-converged --ops "$OPS" --timeout "$1" >/dev/null ||
    { echo "not converged after $1 s" >&2; tail -20 "$WORK/daemon.log" >&2; exit 1; }
  echo $(( $(date +%s) - start ))
}
T=$(wait_converged 300)
say "converged on the first half in $T s (backfill by the first poll)"
load "${BATCHES[@]:$HALF}"
T=$(wait_converged 300)
say "converged on the second half in $T s (notifications)"
hget "$OPS/metrics" >"$WORK/metrics.txt"
hget "$OPS/status" >"$WORK/status.json"

# --- 3. compare ------------------------------------------------------------------------------
flags_on_server() {  # active Flags of this run's patients, as a JSON array
  node -e '
    const fs=require("fs");const [base,tokenUrl,id,map]=process.argv.slice(1);
    const patients=new Set(Object.values(JSON.parse(fs.readFileSync(map))).filter(r=>r.startsWith("Patient/")));
    (async()=>{
      const t=await (await fetch(tokenUrl,{method:"POST",body:new URLSearchParams({grant_type:"client_credentials",
        client_id:id,client_secret:process.env.CS})})).json();
      const out=[];let url=base+"/Flag?status=active&_count=1000";
      while(url){const b=await (await fetch(url,{headers:{authorization:"Bearer "+t.access_token}})).json();
        for(const e of b.entry||[]) if(patients.has(e.resource.subject?.reference)) out.push(e.resource);
        url=(b.link||[]).find(l=>l.relation==="next")?.url;}
      console.log(JSON.stringify(out));})().catch(e=>{console.error(e);process.exit(1)});' \
    "$BASE" "$TOKEN_URL" "$CLIENT_ID" "$WORK/id-map.json"
}
CS=$CLIENT_SECRET flags_on_server >"$WORK/flags.json"
node -e '
  const fs=require("fs");
  const expected=JSON.parse(fs.readFileSync(process.argv[1])).entry.map(e=>e.resource)
    .filter(r=>r.resourceType==="Flag"&&r.status==="active");
  const actual=JSON.parse(fs.readFileSync(process.argv[2]));
  const byRule=(xs)=>xs.reduce((m,f)=>{const c=f.code.coding[0].code;m[c]=(m[c]||0)+1;return m},{});
  const e=byRule(expected),a=byRule(actual);let bad=0;
  console.log("rule".padEnd(30)+"evaluate".padStart(9)+"server".padStart(8));
  for(const r of [...new Set([...Object.keys(e),...Object.keys(a)])].sort()){
    const ok=(e[r]||0)===(a[r]||0);if(!ok)bad++;
    console.log(r.padEnd(30)+String(e[r]||0).padStart(9)+String(a[r]||0).padStart(8)+(ok?"":"  <-- differs"));}
  console.log("total".padEnd(30)+String(expected.length).padStart(9)+String(actual.length).padStart(8));
  process.exit(bad?1:0);' "$WORK/expected.json" "$WORK/flags.json" || { say "the server's Flags differ from evaluate's"; exit 1; }
STORED=$(metric 'bonewatch_notifications_received_total\{result="stored"\}')
DEAD=$(metric bonewatch_dead_letters)
ACTIVE_SUBS=$(metric 'bonewatch_subscriptions\{status="active"\}')
say "notifications stored: $STORED; Subscriptions active: $ACTIVE_SUBS; dead letters: $DEAD"
(( STORED > 0 )) || { say "no notification was delivered"; exit 1; }
(( DEAD == 0 )) || { say "dead letters: $("$BONEWATCH" dead-letters list --config "$WORK/bonewatch.json" 2>&1 | head -5)"; exit 1; }

# --- 4. tokens invalidated -------------------------------------------------------------------
BEFORE=$(metric bonewatch_fhir_reauthorizations_total)
say "invalidating every token: $INVALIDATE"
bash -c "$INVALIDATE"
PATIENT=$(node -e '
  const fs=require("fs");const ex=JSON.parse(fs.readFileSync(process.argv[1])).entry.map(e=>e.resource);
  const osteo=new Set(ex.filter(r=>r.resourceType==="Flag"&&r.status==="active"&&r.code.coding[0].code==="osteoporosis").map(r=>r.subject.reference));
  const monitored=ex.filter(r=>r.resourceType==="CarePlan"&&r.status==="active").map(r=>r.subject.reference);
  const map=JSON.parse(fs.readFileSync(process.argv[2]));
  console.log(map[monitored.find(p=>!osteo.has(p))]);' "$WORK/expected.json" "$WORK/id-map.json")
cat >"$WORK/extra.json" <<JSON
{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Observation","id":"extra-dxa",
 "status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38269-7"}]},
 "subject":{"reference":"$PATIENT"},"effectiveDateTime":"$(date -u +%F)",
 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},
   "valueQuantity":{"value":-3.1,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}}]},
 "request":{"method":"PUT","url":"Observation/extra-dxa"}}]}
JSON
load "$WORK/extra.json"
say "a DXA panel (T-score -3.1) for $PATIENT: waiting for its osteoporosis Flag"
START=$(date +%s)
until CS=$CLIENT_SECRET flags_on_server | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
    process.exit(JSON.parse(s).some(f=>f.subject.reference===process.argv[1]&&f.code.coding[0].code==="osteoporosis")?0:1)})' "$PATIENT"; do
  (( $(date +%s) - START < 120 )) || { say "no osteoporosis Flag after 120 s"; tail -20 "$WORK/daemon.log" >&2; exit 1; }
  sleep 1
done
say "osteoporosis Flag written $(( $(date +%s) - START )) s after the panel"
hget "$OPS/metrics" >"$WORK/metrics.txt"
AFTER=$(metric bonewatch_fhir_reauthorizations_total)
say "bonewatch_fhir_reauthorizations_total: $BEFORE -> $AFTER"
(( AFTER > BEFORE )) || { say "no 401 was met: were the tokens invalidated?"; exit 1; }
grep -E '^bonewatch_(notifications_received_total|subscriptions|fhir_reauthorizations_total|dead_letters|writes_total)' "$WORK/metrics.txt" >&2 || true
say "all checks passed"
