#!/usr/bin/env bash
# AUTH under attack: how long a valid submission (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA)
# takes alone and while 30 sessions keep failing AUTH on the same node; prints both (goal: the
# difference stays under 1 s).
#
# Usage: bench/auth-bench.sh [-a ATTACKERS] [-r ROUNDS] [--keep]
#   -a  parallel failing AUTH sessions, one process each (default 30)
#   -r  valid submissions timed in each phase (default 5)
#   --keep  keep the work folder (logs) instead of deleting it
# Starts James + Dispatch with its embedded Cassandra from dist/ (built if stale), as
# bench/relay-bench.sh does, on free loopback ports. The throttle limits are raised for the run
# (each failing session fails far more than 5 times), so what is measured is the cost of failing
# sessions, not the throttle refusing them; the failure delay is the shipped 1 s. Mail goes to a
# smart host on a port where nothing listens: it stays queued, which costs nothing here.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

attackers=30
rounds=5
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    -a) attackers="$2"; shift 2 ;;
    -r) rounds="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

py=/usr/bin/python3
helper="$root/bench/relaybench.py"
client="$root/bench/authbench.py"
dist="$root/dist/target/dispatch"
launcher="$dist/dispatch-launcher.jar"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
login="alice@bench.test"
password="auth-bench-password"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

stale() {
  [ ! -f "$launcher" ] && return 0
  [ -n "$(find "$root" -path "$root/state" -prune -o \( -name pom.xml -o -path '*/src/main/*' \) -newer "$launcher" -print -quit)" ]
}
if stale; then
  log "building the distribution (mvn package, tests skipped) ..."
  { mvn -B -q -o -Dmaven.test.skip=true -pl dist -am package || mvn -B -q -Dmaven.test.skip=true -pl dist -am package; } >&2
fi

work="$(mktemp -d -t auth-bench.XXXXXX)"
dispatch_pid=""
cleanup() {
  set +e
  if [ -n "$dispatch_pid" ] && kill -0 "$dispatch_pid" 2>/dev/null; then
    log "stopping James + Dispatch ..."
    kill -TERM "$dispatch_pid"   # the launcher stops James, then Cassandra
    for _ in $(seq 1 240); do kill -0 "$dispatch_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$dispatch_pid" 2>/dev/null && kill -KILL "$dispatch_pid"
  fi
  if [ "$keep" = 1 ]; then log "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

conf="$work/conf"
mkdir -p "$conf"
cp -r "$root/conf/." "$conf/"
read -r -a ports <<<"$("$py" "$helper" rewrite-binds "$conf/smtpserver.xml")"
submission_port=""
for pair in "${ports[@]}"; do [ "${pair%%=*}" = 587 ] && submission_port="${pair#*=}"; done
webadmin_port="$("$py" "$helper" freeport)"
"$py" "$helper" set-props "$conf/webadmin.properties" "port=$webadmin_port"
"$py" "$helper" set-props "$conf/dispatch.properties" \
  "embedded.cassandra.nativePort=$("$py" "$helper" freeport)" \
  "embedded.cassandra.storagePort=$("$py" "$helper" freeport)" \
  "transport.rules=nowhere" "transport.nowhere.domains=*" "transport.nowhere.route=smarthost" \
  "transport.nowhere.host=[127.0.0.1]:$("$py" "$helper" freeport)" "transport.nowhere.tls=none" \
  "submission.authMaxFailuresPerAddress=1000" "submission.authMaxFailuresPerLogin=1000" \
  "submission.authMaxConcurrentPerAddress=3"

log "starting James + Dispatch with its embedded Cassandra (about a minute) ..."
"$java_bin" -jar "$launcher" run --conf "$conf" --state "$work/state" --home "$dist" >"$work/launcher.out" 2>&1 &
dispatch_pid=$!
deadline=$((SECONDS + 300))
until grep -qs "Dispatch is running." "$work/launcher.out"; do
  if ! kill -0 "$dispatch_pid" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
    cat "$work/launcher.out" >&2; echo "Dispatch did not start" >&2; exit 1
  fi
  sleep 1
done
admin() { "$java_bin" -jar "$launcher" "$@" --conf "$conf" --state "$work/state" --webadmin "http://127.0.0.1:$webadmin_port"; }
printf '%s\n' "$password" | admin submission add "$login" >/dev/null

log "timing valid submissions alone, then beside $attackers failing AUTH sessions ..."
"$py" "$client" --port "$submission_port" --login "$login" --password "$password" \
  --attackers "$attackers" --rounds "$rounds"
