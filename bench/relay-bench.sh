#!/usr/bin/env bash
# Relay throughput and greylisting latency: James + Dispatch beside Postfix and stock James 3.8.1
# (RemoteDelivery), all on this machine, all relaying to the same local smtp-sink.
#
# Usage: bench/relay-bench.sh [-n MESSAGES] [-s SESSIONS] [-r ROUNDS] [-w WARM] [-d "30 60 120 300 450 600"]
#                             [-g RECIPIENTS] [--skip-greylisting] [--keep]
#   -n  messages submitted to each system per round in the throughput part (default 2000)
#   -s  parallel submission sessions of the Java client (default 8)
#   -r  rounds of the throughput part; each round measures every system once, alone (default 3)
#   -w  warm-up messages before the measured ones, per system and round; every system has just been
#       started, so its JIT needs them (default: as many as -n, at most 2000)
#   -d  greylisting delays in seconds, run in parallel (default "30 60 120 300 450 600")
#   -g  recipients (one message each, new triplets) per system and delay (default 20)
#   --skip-greylisting  the throughput part only
#   --keep              keep the work folder (logs, queues) instead of deleting it
# Exits 1 when the sink did not get exactly the submitted Message-IDs, each once, from every system.
# Needs root (private Postfix instances, smtp-sink and postgrey drop to their own users) and
# Debian's postfix and postgrey packages. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

messages=2000
sessions=8
rounds=3
warm=""
delays="30 60 120 300 450 600"
per_delay=20
greylisting=1
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) messages="$2"; shift 2 ;;
    -s) sessions="$2"; shift 2 ;;
    -r) rounds="$2"; shift 2 ;;
    -w) warm="$2"; shift 2 ;;
    -d) delays="$2"; shift 2
        # also "-d 30 60": take the following plain numbers too
        while [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; do delays="$delays $1"; shift; done ;;
    -g) per_delay="$2"; shift 2 ;;
    --skip-greylisting) greylisting=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

grey_delays=""
[ "$greylisting" = 1 ] && grey_delays="$delays"
domains="d0.bench.test,d1.bench.test,d2.bench.test,d3.bench.test,d4.bench.test,d5.bench.test,d6.bench.test,d7.bench.test,d8.bench.test,d9.bench.test"
sender="alice@bench.test"        # its domain has DKIM keys: Dispatch signs its mail
plain_sender="bob@nodkim.test"   # no DKIM key: Dispatch sends its mail unsigned
password="relay-bench-password"
sink_host=127.0.0.60
py=/usr/bin/python3
helper="$root/bench/relaybench.py"
dist="$root/dist/target/dispatch"
launcher="$dist/dispatch-launcher.jar"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

for tool in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/dnsmasq "$py"; do
  [ -x "$tool" ] || { echo "$tool is missing: apt-get install -y postfix dnsmasq-base python3" >&2; exit 1; }
done
if [ "$greylisting" = 1 ] && [ ! -x /usr/sbin/postgrey ]; then
  echo "/usr/sbin/postgrey is missing: apt-get install -y postgrey (or --skip-greylisting)" >&2; exit 1
fi
[ "$(id -u)" = 0 ] || { echo "run as root: private Postfix instances and smtp-sink need it" >&2; exit 1; }

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- build (as ./dispatch does)
stale() {
  [ ! -f "$launcher" ] && return 0
  [ -n "$(find "$root" -path "$root/state" -prune -o \( -name pom.xml -o -path '*/src/main/*' \) -newer "$launcher" -print -quit)" ]
}
if stale; then
  log "building the distribution (mvn package, tests skipped) ..."
  { mvn -B -q -o -Dmaven.test.skip=true -pl dist -am package || mvn -B -q -Dmaven.test.skip=true -pl dist -am package; } >&2
fi

# ---------------------------------------------------------------- clean-up of everything started here
work="$(mktemp -d -t relay-bench.XXXXXX)"
chmod 755 "$work"
pids=()
postfix_dirs=()
dispatch_pid=""
james_pid=""
stop_dispatch() {
  if [ -n "$dispatch_pid" ] && kill -0 "$dispatch_pid" 2>/dev/null; then
    kill -TERM "$dispatch_pid"   # the launcher stops James, then Cassandra
    for _ in $(seq 1 240); do kill -0 "$dispatch_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$dispatch_pid" 2>/dev/null && kill -KILL "$dispatch_pid"
  fi
  dispatch_pid=""
}
stop_james() {
  if [ -n "$james_pid" ] && kill -0 "$james_pid" 2>/dev/null; then
    kill -TERM "$james_pid"; wait "$james_pid" 2>/dev/null || true
  fi
  james_pid=""
}
cleanup() {
  set +e
  log "stopping everything ..."
  stop_dispatch
  stop_james
  for dir in "${postfix_dirs[@]}"; do /usr/sbin/postfix -c "$dir/etc" stop >/dev/null 2>&1; done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$keep" = 1 ]; then
    log "work folder kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$py" "$helper" freeport; }

wait_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "nothing answers on $1:$2 after $3 s" >&2; return 1; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------- the sink
sink_port="$(free_port)"
sink_dir="$work/sink"
mkdir -p "$sink_dir/mail"
chmod 777 "$sink_dir/mail"
/usr/sbin/smtp-sink -u nobody -h sink.bench.test -d "$sink_dir/mail/%Y%m%d%H%M%S." \
  "$sink_host:$sink_port" 256 >"$sink_dir/smtp-sink.log" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
wait_port "$sink_host" "$sink_port" 10

# ---------------------------------------------------------------- DNS for Dispatch
# Dispatch's submission port refuses a recipient whose domain DNS says does not exist (it looks up
# the MX at RCPT time, whatever the transport rules), so the benchmark domains get MX records from
# a private dnsmasq (dns.servers). Delivery still goes by the transport rules below, not by MX.
dns_port="$(free_port)"
dns_records=()
for domain in ${domains//,/ } nodkim.test; do dns_records+=("--mx-host=$domain,mx.bench.test,10"); done
for d in $grey_delays; do dns_records+=("--mx-host=g$d.bench.test,mx.bench.test,10"); done
dns_pid=""
start_dns() { # extra dnsmasq options (the DKIM records, once the keys exist)
  if [ -n "$dns_pid" ]; then
    kill -TERM "$dns_pid"; wait "$dns_pid" 2>/dev/null || true
    local others=() pid
    for pid in "${pids[@]}"; do [ "$pid" = "$dns_pid" ] || others+=("$pid"); done
    pids=("${others[@]}")
  fi
  /usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --listen-address=127.0.0.1 \
    --bind-interfaces --port="$dns_port" --local=/test/ --local-ttl=300 --pid-file= --conf-file=/dev/null \
    --user=root --log-facility=- --host-record="mx.bench.test,$sink_host" "${dns_records[@]}" "$@" \
    >>"$work/dnsmasq.log" 2>&1 &
  dns_pid=$!
  pids+=("$dns_pid")
  wait_port 127.0.0.1 "$dns_port" 10
}
start_dns

# ---------------------------------------------------------------- greylisting receivers: Postfix + postgrey
# one per delay D on 127.0.0.(70+i), mail for gD.bench.test relayed to the sink
receiver_addr=(); receiver_port=(); receiver_dir=()
postfix_instance() { # dir, then main.cf lines on stdin; master.cf from $master; etc/transport written before
  local dir="$1"
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chmod 755 "$dir" "$dir/queue"
  chown postfix "$dir/data"
  cat >"$dir/etc/main.cf"
  printf '%s\n' "$master" >"$dir/etc/master.cf"
  postfix_dirs+=("$dir")
  script -qec "/usr/sbin/postfix -c $dir/etc start" /dev/null >"$dir/start.out" 2>&1 \
    || { cat "$dir/start.out" >&2; return 1; }
}
internal_services='pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd'

if [ "$greylisting" = 1 ]; then
  i=0
  for d in $delays; do
    addr="127.0.0.$((70 + i))"
    port="$(free_port)"; policy_port="$(free_port)"
    dir="$work/receiver-$d"
    mkdir -p "$dir/postgrey/db"
    chmod 755 "$dir" "$dir/postgrey"
    chown postgrey "$dir/postgrey/db"
    /usr/sbin/postgrey --inet="$addr:$policy_port" --delay="$d" --auto-whitelist-clients=0 --lookup-by-host \
      --dbdir="$dir/postgrey/db" --whitelist-clients=/dev/null --whitelist-recipients=/dev/null \
      >"$dir/postgrey/postgrey.log" 2>&1 &
    pids+=($!)
    wait_port "$addr" "$policy_port" 20
    master="$addr:$port inet n - n - - smtpd
$internal_services"
    mkdir -p "$dir/etc"
    echo "g$d.bench.test relay:[$sink_host]:$sink_port" >"$dir/etc/transport"
    postfix_instance "$dir" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.g$d.bench.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
relay_domains = g$d.bench.test
transport_maps = texthash:$dir/etc/transport
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:$addr:$policy_port
smtpd_peername_lookup = no
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_tls_security_level = none
EOF
    receiver_addr+=("$addr"); receiver_port+=("$port"); receiver_dir+=("$dir")
    i=$((i + 1))
  done
fi

# ---------------------------------------------------------------- Postfix, the peer under test
# Debian's Postfix defaults (backoff, concurrency, connection cache); relayhost = the sink;
# greylisting domains to their receivers through transport_maps; submission from 127.0.0.0/8 (mynetworks).
postfix_port="$(free_port)"
postfix_dir="$work/postfix"
master="127.0.0.1:$postfix_port inet n - n - - smtpd
$internal_services"
mkdir -p "$postfix_dir/etc"
: >"$postfix_dir/etc/transport"
i=0
for d in $grey_delays; do
  echo "g$d.bench.test smtp:[${receiver_addr[$i]}]:${receiver_port[$i]}" >>"$postfix_dir/etc/transport"
  i=$((i + 1))
done
postfix_instance "$postfix_dir" <<EOF
compatibility_level = 3.6
queue_directory = $postfix_dir/queue
data_directory = $postfix_dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [$sink_host]:$sink_port
transport_maps = texthash:$postfix_dir/etc/transport
maillog_file = $postfix_dir/maillog
maillog_file_prefixes = $postfix_dir
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_tls_security_level = none
EOF
wait_port 127.0.0.1 "$postfix_port" 30
postfix_version="$(/usr/sbin/postconf -d -h mail_version)"
postfix_master_pid() { tr -d ' \n' <"$postfix_dir/queue/pid/master.pid"; }
stop_postfix() { /usr/sbin/postfix -c "$postfix_dir/etc" stop >/dev/null 2>&1 || true; sleep 1; }
start_postfix() {
  script -qec "/usr/sbin/postfix -c $postfix_dir/etc start" /dev/null >"$postfix_dir/start.out" 2>&1 \
    || { cat "$postfix_dir/start.out" >&2; return 1; }
  wait_port 127.0.0.1 "$postfix_port" 30
}
stop_postfix   # started again for its own measurements only

# ---------------------------------------------------------------- James + Dispatch
# The shipped conf/ with: listeners on free loopback ports, the embedded Cassandra on free ports,
# a transport rule sending every domain to the sink as a smart host in plain text (tls=none, as
# Postfix's relayhost and James's gateway here), one rule per greylisting receiver, and the
# per-login hourly limits off (the defaults, 1000 messages and 5000 recipients an hour, would stop
# the benchmark). Everything else at its default: delivery.threads, retry.*, queue.pollInterval.
dispatch_dir="$work/dispatch"
conf="$dispatch_dir/conf"
mkdir -p "$conf"
cp -r "$root/conf/." "$conf/"
read -r -a dispatch_ports <<<"$("$py" "$helper" rewrite-binds "$conf/smtpserver.xml")"
submission_port=""
for pair in "${dispatch_ports[@]}"; do [ "${pair%%=*}" = 587 ] && submission_port="${pair#*=}"; done
webadmin_port="$(free_port)"
"$py" "$helper" set-props "$conf/webadmin.properties" "port=$webadmin_port"
rules="sink"
props=("embedded.cassandra.nativePort=$(free_port)" "embedded.cassandra.storagePort=$(free_port)"
  "transport.sink.domains=*" "transport.sink.route=smarthost" "transport.sink.host=[$sink_host]:$sink_port"
  "transport.sink.tls=none" "submission.maxMessagesPerHour=0" "submission.maxRecipientsPerHour=0"
  "delivery.heloName=dispatch.bench.test" "dns.servers=127.0.0.1:$dns_port")
i=0
for d in $grey_delays; do
  rules="$rules,g$d"
  props+=("transport.g$d.domains=g$d.bench.test" "transport.g$d.route=smarthost"
    "transport.g$d.host=[${receiver_addr[$i]}]:${receiver_port[$i]}" "transport.g$d.tls=none")
  i=$((i + 1))
done
props+=("transport.rules=$rules")
"$py" "$helper" set-props "$conf/dispatch.properties" "${props[@]}"

start_dispatch() {
  log "starting James + Dispatch with its embedded Cassandra (about a minute) ..."
  "$java_bin" -jar "$launcher" run --conf "$conf" --state "$dispatch_dir/state" --home "$dist" \
    >>"$dispatch_dir/launcher.out" 2>&1 &
  dispatch_pid=$!
  local deadline=$((SECONDS + 300))
  until [ "$(grep -c "Dispatch is running." "$dispatch_dir/launcher.out")" -gt "$dispatch_starts" ]; do
    if ! kill -0 "$dispatch_pid" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      tail -50 "$dispatch_dir/launcher.out" >&2; echo "Dispatch did not start" >&2; exit 1
    fi
    sleep 1
  done
  dispatch_starts=$((dispatch_starts + 1))
}
dispatch_starts=0
: >"$dispatch_dir/launcher.out"
admin() { "$java_bin" -jar "$launcher" "$@" --conf "$conf" --state "$dispatch_dir/state" --webadmin "http://127.0.0.1:$webadmin_port"; }

# one-time set-up: two logins, DKIM keys for bench.test published in the private DNS and activated
start_dispatch
printf '%s\n' "$password" | admin submission add "$sender" --senders @bench.test >/dev/null
printf '%s\n' "$password" | admin submission add "$plain_sender" --senders @nodkim.test >/dev/null
admin dkim generate bench.test >/dev/null
txt_records=()
while read -r record; do txt_records+=("--txt-record=$record"); done < <(admin dkim dns bench.test | "$py" "$helper" dkim-txt)
[ "${#txt_records[@]}" -ge 1 ] || { echo "no DKIM records to publish" >&2; exit 1; }
start_dns "${txt_records[@]}"
admin dkim check >/dev/null
dkim_keys="$(admin dkim list bench.test)"
grep -qi active <<<"$dkim_keys" || { echo "the DKIM keys did not become active: $dkim_keys" >&2; exit 1; }
log "DKIM keys of bench.test: $(tr '\n' ' ' <<<"$dkim_keys")"
stop_dispatch

# ---------------------------------------------------------------- stock James 3.8.1
james_dir="$work/stock-james"
james_port="$(free_port)"
mkdir -p "$james_dir/conf" "$james_dir/logs" "$james_dir/extensions-jars"
for file in "$root"/bench/stock-james/conf/*; do
  sed -e "s/@SMTP_PORT@/$james_port/" -e "s/@SINK_HOST@/$sink_host/" -e "s/@SINK_PORT@/$sink_port/" \
    "$file" >"$james_dir/conf/$(basename "$file")"
done
start_james() {
  log "starting stock James 3.8.1 ..."
  # the same JVM options as the launcher gives James + Dispatch (JAVA_OPTS, default -Xms256m -Xmx1g)
  (cd "$james_dir" && exec "$java_bin" ${JAVA_OPTS:--Xms256m -Xmx1g} -Dworking.directory="$james_dir" \
    -Dlogback.configurationFile="$james_dir/conf/logback.xml" -Dbench.logdir="$james_dir/logs" \
    -Djames.exit.on.startup.error=true -cp "$dist/james/lib/*" org.apache.james.MemoryJamesServerMain \
    >>"$james_dir/logs/james.out" 2>&1) &
  james_pid=$!
  wait_port 127.0.0.1 "$james_port" 180 || { tail -50 "$james_dir/logs/james.out" >&2; exit 1; }
}

# ---------------------------------------------------------------- part A: throughput
# The Java client (bench/RelayClient.java): S threads, one long session each, one recipient and a
# unique Message-ID per message. Per system and round: WARM messages (not measured), then N, timed
# from the first MAIL FROM (all sessions logged in and waiting) to the sink's dump file of the N-th
# distinct Message-ID. CPU: process trees from /proc before and after the measured N (the client
# reports its own). Each round starts the system, measures it alone, and stops it.
client_dir="$work/client"
mkdir -p "$client_dir"
"${java_bin%java}javac" -d "$client_dir" "$root/bench/RelayClient.java"
[ -n "$warm" ] || warm=$(( messages < 2000 ? messages : 2000 ))
[ "$warm" -ge 1 ] || warm=1
failed=0
declare -A result   # "system/round/field" -> value
metrics_url="http://127.0.0.1:$webadmin_port/metrics"
cpu_diff() { # before after messages -> "key=ms-per-message ..."
  awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN {
    nb = split(b, bs, " "); for (i = 1; i <= nb; i++) { split(bs[i], kv, "="); before[kv[1]] = kv[2] }
    na = split(a, as, " "); for (i = 1; i <= na; i++) { split(as[i], kv, "="); printf "%s=%.2f ", kv[1], 1000 * (kv[2] - before[kv[1]]) / n }
  }'
}
per_second() { # count from to -> messages a second, empty when a time is missing
  awk -v n="$1" -v a="${2:-0}" -v b="${3:-0}" 'BEGIN { if (a > 0 && b > a) printf "%.0f", n / (b - a) }'
}
sink_check() { # name round phase count tag signed(yes/no); sets sink_line (await-sink's line) and failed
  local out signed_count
  out="$("$py" "$helper" await-sink --dir "$sink_dir/mail" --messages "$4" --tag "$5")" \
    || { log "$1 round $2 $3: the sink did not get exactly $4 Message-IDs once each: $out"; failed=1; }
  signed_count="$(sed -n 's/.*dkim_signed=\([0-9]*\).*/\1/p' <<<"$out")"
  if { [ "$6" = yes ] && [ "$signed_count" != "$4" ]; } || { [ "$6" = no ] && [ "$signed_count" != 0 ]; }; then
    log "$1 round $2 $3: $signed_count of $4 messages DKIM-signed at the sink (expected signed: $6)"; failed=1
  fi
  sink_line="$out"
}
cassandra_requests() { "$py" "$helper" metric-sum --url "$metrics_url" --prefix dispatch_cassandra_requests; }
throughput() { # system round tree-pid signed(yes/no) port client-options...
  local name="$1" round="$2" tree="$3" signed="$4" port="$5"; shift 5
  local tag="$name-r$round-$$" go="$client_dir/go-$name-$round" output="$client_dir/$name-$round.out"
  local out sink_out t0 t_sub end cpu0 cpu1 req0="" req1="" client_pid
  local trees=("sink=$sink_pid"); [ -n "$tree" ] && trees+=("sys=$tree")
  rm -f "$sink_dir"/mail/* "$go"
  : >"$output"   # exists before the client's first line, for the wait below
  # one client JVM for the warm-up and the measured messages, so that both sides are warm
  "$java_bin" -cp "$client_dir" RelayClient --port "$port" --sessions "$sessions" --domains "$domains" \
    --warm "$warm" --warm-tag "$tag-warm" --go-file "$go" --count "$messages" --tag "$tag-run" "$@" \
    >"$output" 2>"$output.err" &
  client_pid=$!
  until grep -q '^warm ' "$output"; do
    kill -0 "$client_pid" 2>/dev/null || { log "$name round $round: the client stopped: $(cat "$output.err")"; failed=1; wait "$client_pid" || true; return 0; }
    sleep 0.2
  done
  grep -q 'errors=0 ' "$output" || { log "$name round $round: client errors in the warm-up: $(head -5 "$output.err")"; failed=1; }
  sink_check "$name" "$round" warm-up "$warm" "$tag-warm" "$signed"
  rm -f "$sink_dir"/mail/*
  cpu0="$("$py" "$helper" cpu "${trees[@]}")"
  case "$name" in dispatch-*) req0="$(cassandra_requests)" ;; esac
  touch "$go"
  wait "$client_pid" || { log "$name round $round: client errors: $(head -5 "$output.err")"; failed=1; }
  out="$(grep '^run ' "$output" || true)"
  sink_check "$name" "$round" run "$messages" "$tag-run" "$signed"
  sink_out="$sink_line"
  cpu1="$("$py" "$helper" cpu "${trees[@]}")"
  if [ -n "$req0" ]; then req1="$(cassandra_requests)"; fi
  t0="$(sed -n 's/.*t0=\([0-9.]*\).*/\1/p' <<<"$out")"
  t_sub="$(sed -n 's/.*submitted=\([0-9.]*\).*/\1/p' <<<"$out")"
  end="$(sed -n 's/.*end=\([0-9.]*\).*/\1/p' <<<"$sink_out")"
  local key="$name/$round" count="$messages"
  result[$key/rate]="$(per_second "$count" "$t0" "$end")"
  result[$key/elapsed]="$(awk -v a="${t0:-0}" -v b="${end:-0}" 'BEGIN { printf "%.1f", b - a }')"
  result[$key/submitted]="$(per_second "$count" "$t0" "$t_sub")"
  result[$key/p50]="$(sed -n 's/.*intake_p50_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
  result[$key/p99]="$(sed -n 's/.*intake_p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
  result[$key/client]="$(awk -v s="$(sed -n 's/.*client_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")" -v n="$count" 'BEGIN { if (s != "") printf "%.2f", 1000 * s / n }')"
  result[$key/sink]="$(sed -n 's/.*files=\([0-9]*\) distinct=\([0-9]*\) missing=\([0-9]*\) duplicates=\([0-9]*\) dkim_signed=\([0-9]*\).*/\2 distinct, \3 missing, \4 dup., \5 signed/p' <<<"$sink_out")"
  local diff field; diff="$(cpu_diff "$cpu0" "$cpu1" "$count")"
  for field in sys.james sys.cassandra sys.rest sink.rest; do
    result[$key/$field]="$(sed -n "s/.*$field=\([0-9.-]*\).*/\1/p" <<<"$diff")"
  done
  if [ -n "$req0" ] && [ -n "$req1" ]; then
    result[$key/requests]="$(awk -v a="$req0" -v b="$req1" -v n="$count" 'BEGIN { printf "%.1f", (b - a) / n }')"
  fi
  log "$name round $round: $count messages in ${result[$key/elapsed]} s: ${result[$key/rate]:-n/a} messages/s;" \
      "intake p50/p99 ${result[$key/p50]}/${result[$key/p99]} ms; CPU ms/message: $diff client=${result[$key/client]};" \
      "sink: $sink_out"
}

log "part A: the client alone against the sink ($messages messages, $sessions sessions) ..."
throughput client 0 "" no "$sink_port" --host "$sink_host" --sender "$sender"

systems=(postfix james dispatch)
for round in $(seq 1 "$rounds"); do
  for k in 0 1 2; do
    system="${systems[$(( (k + round - 1) % 3 ))]}"
    case "$system" in
      postfix)
        log "part A, round $round: Postfix alone ..."
        start_postfix
        throughput postfix "$round" "$(postfix_master_pid)" no "$postfix_port" --sender "$sender"
        stop_postfix ;;
      james)
        log "part A, round $round: stock James 3.8.1 alone ..."
        start_james
        throughput james "$round" "$james_pid" no "$james_port" --sender "$sender"
        stop_james ;;
      dispatch)
        log "part A, round $round: James + Dispatch alone, with and without DKIM ..."
        start_dispatch
        variants=(dkim plain); [ $((round % 2)) = 0 ] && variants=(plain dkim)
        for variant in "${variants[@]}"; do
          if [ "$variant" = dkim ]; then
            throughput dispatch-dkim "$round" "$dispatch_pid" yes "$submission_port" --starttls \
              --sender "$sender" --user "$sender" --password "$password"
          else
            throughput dispatch-plain "$round" "$dispatch_pid" no "$submission_port" --starttls \
              --sender "$plain_sender" --user "$plain_sender" --password "$password"
          fi
        done
        stop_dispatch ;;
    esac
  done
done

# ---------------------------------------------------------------- part B: greylisting
declare -A grey
if [ "$greylisting" = 1 ]; then
  start_postfix
  start_dispatch
  max_delay=0
  for d in $delays; do [ "$d" -gt "$max_delay" ] && max_delay=$d; done
  log "part B: greylisting delays ($delays) s in parallel, $per_delay recipients per system each; this takes" \
      "about $((max_delay / 60)) min for Dispatch and up to about $(( (2 * max_delay + 900) / 60 )) min for Postfix's backoff ..."
  for d in $delays; do
    for system in dispatch postfix; do
      list=""
      for k in $(seq 0 $((per_delay - 1))); do list="$list,gl-$system-$d-$k-$$@g$d.bench.test"; done
      if [ "$system" = dispatch ]; then
        "$py" "$helper" submit --port "$submission_port" --sessions 1 --sender "$sender" --each "${list#,}" \
          --tag "gl-$system-$d-$$" --starttls --user "$sender" --password "$password" >/dev/null
      else
        "$py" "$helper" submit --port "$postfix_port" --sessions 1 --sender "$sender" --each "${list#,}" \
          --tag "gl-$system-$d-$$" >/dev/null
      fi
    done
  done
  # every recipient delivered, or twice the longest delay plus Postfix's longest likely backoff
  deadline=$((SECONDS + 2 * max_delay + 1500))
  while :; do
    done_all=1
    for dir in "${receiver_dir[@]}"; do
      "$py" "$helper" greylist-done --log "$dir/maillog" --expected $((2 * per_delay)) >/dev/null || done_all=0
    done
    [ "$done_all" = 1 ] && break
    [ $SECONDS -lt $deadline ] || { log "part B: not everything delivered before the deadline"; break; }
    sleep 5
  done
  i=0
  for d in $delays; do
    while read -r line; do
      system="$(sed -n 's/system=\([a-z]*\).*/\1/p' <<<"$line")"
      grey[$system-$d]="$line"
    done < <("$py" "$helper" greylist-report --log "${receiver_dir[$i]}/maillog" --delay "$d" \
               --systems dispatch,postfix --expected "$per_delay")
    i=$((i + 1))
  done
fi

# ---------------------------------------------------------------- the table
field() { sed -n "s/^\(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" <<<"$1"; }  # "p50=" must not match "attempts_p50="
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b }'; }
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || uname -m)"
labels=("postfix|Postfix $postfix_version (mynetworks)" "james|stock James 3.8.1 RemoteDelivery"
  "dispatch-dkim|Dispatch, DKIM (STARTTLS+AUTH)" "dispatch-plain|Dispatch, no DKIM (STARTTLS+AUTH)")
echo
echo "Relay benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($cpu), $("$java_bin" -version 2>&1 | head -1);" \
     "everything (systems, Cassandra, client, sink) on this machine"
echo
echo "A) Throughput: $messages messages of 5 kB, one recipient each (10 domains), $sessions sessions of the Java client" \
     "(bench/RelayClient.java), relayed to smtp-sink as a smart host (plain SMTP); $rounds rounds, each system started," \
     "measured alone after $warm warm-up messages, and stopped. messages/s: first MAIL FROM to the N-th distinct" \
     "Message-ID at the sink; intake: final dot of DATA to the 250; CPU: ms per message from /proc (process trees)."
printf '%-36s %5s %8s %8s %10s %14s | %6s %9s %7s %6s %6s %5s | %8s | %s\n' system round "msgs/s" "elapsed" \
  "submit/s" "intake p50/p99" James Cassandra Postfix other client sink "Cass.req" "sink: Message-IDs"
row() { # key round label
  local k="$1/$2"
  local james="${result[$k/sys.james]:-}" cass="${result[$k/sys.cassandra]:-}" rest="${result[$k/sys.rest]:-}" postfix="" other=""
  if [ "$1" = postfix ]; then postfix="$rest"; else other="$rest"; fi
  printf '%-36s %5s %8s %8s %10s %14s | %6s %9s %7s %6s %6s %5s | %8s | %s\n' "$3" "$2" "${result[$k/rate]:-n/a}" \
    "${result[$k/elapsed]:-n/a}" "${result[$k/submitted]:-n/a}" "${result[$k/p50]:-n/a}/${result[$k/p99]:-n/a}" \
    "${james:--}" "${cass:--}" "${postfix:--}" "${other:--}" "${result[$k/client]:--}" "${result[$k/sink.rest]:--}" \
    "${result[$k/requests]:--}" "${result[$k/sink]:-n/a}"
}
row client 0 "client alone -> smtp-sink"
for round in $(seq 1 "$rounds"); do
  for entry in "${labels[@]}"; do row "${entry%%|*}" "$round" "${entry#*|}"; done
done
echo
echo "Medians over the rounds:"
printf '%-36s %8s %14s | %6s %9s %7s %6s %6s %5s | %8s\n' system "msgs/s" "intake p50/p99" James Cassandra Postfix \
  other client sink "Cass.req"
fastest=0; fastest_name=""
for entry in "${labels[@]}"; do
  key="${entry%%|*}"
  values() { local r; for r in $(seq 1 "$rounds"); do printf '%s ' "${result[$key/$r/$1]:-}"; done; }
  rest="$(values sys.rest | median)"; postfix="-"; other="$rest"
  [ "$key" = postfix ] && { postfix="$rest"; other="-"; }
  printf '%-36s %8s %14s | %6s %9s %7s %6s %6s %5s | %8s\n' "${entry#*|}" "$(values rate | median)" \
    "$(values p50 | median)/$(values p99 | median)" "$(values sys.james | median)" "$(values sys.cassandra | median)" \
    "$postfix" "$other" "$(values client | median)" "$(values sink.rest | median)" "$(values requests | median)"
  for r in $(seq 1 "$rounds"); do
    value="${result[$key/$r/rate]:-0}"
    if [ "$value" -gt "$fastest" ]; then fastest="$value"; fastest_name="${entry#*|}, round $r"; fi
  done
done
echo
echo "Ratios (per round; median):"
for pair in "dispatch-dkim postfix" "dispatch-dkim james" "dispatch-plain postfix" "dispatch-plain james"; do
  read -r a b <<<"$pair"
  per_round=""
  for r in $(seq 1 "$rounds"); do per_round="$per_round $(ratio "${result[$a/$r/rate]:-}" "${result[$b/$r/rate]:-}")"; done
  printf '  %-16s / %-8s %s; median %s\n' "$a" "$b" "$(xargs <<<"$per_round")" "$(median <<<"$per_round")"
done
client_rate="${result[client/0/rate]:-0}"
times="$(ratio "$client_rate" "$fastest")"
verdict="no: the client may be the bottleneck"
awk -v t="${times:-0}" 'BEGIN { exit !(t >= 3) }' && verdict="yes"
echo "Client alone against the sink: ${client_rate} messages/s = ${times:-n/a}x the fastest system's rate" \
     "($fastest, $fastest_name); >= 3x: $verdict"
[ "$failed" = 0 ] || echo "FAILED: a system lost, duplicated or left unsigned messages, or the client saw errors (see the log lines above)"
if [ "$greylisting" = 1 ]; then
  echo
  echo "B) Greylisting: receiver Postfix + postgrey --delay=D; $per_delay recipients per system and D (one message" \
       "each, new triplets); over = delivered - first attempt - D, seconds (receiver's log, 1 s resolution)"
  printf '%6s | %-48s | %-48s | %s\n' D "Dispatch (defaults): over p50/p95; attempts" \
    "Postfix (defaults): over p50/p95; attempts" "stock James 3.8.1"
  for d in $delays; do
    cells=()
    for system in dispatch postfix; do
      line="${grey[$system-$d]:-}"
      if [ -n "$line" ] && [ "$(field "$line" delivered)" != 0 ]; then
        cell="$(field "$line" p50) / $(field "$line" p95) s; attempts p50 $(field "$line" attempts_p50), p95 $(field "$line" attempts_p95), max $(field "$line" attempts_max)"
        missing="$(field "$line" missing)"
        if [ "$missing" != 0 ]; then cell="$cell, $missing not delivered"; fi
        cells+=("$cell")
      else
        cells+=("not delivered before the deadline")
      fi
    done
    printf '%6s | %-48s | %-48s | %s\n' "$d" "${cells[0]}" "${cells[1]}" "first retry after 6 h (delayTime default), not measured"
  done
  echo "target (Dispatch): p95 over <= 60 s with p95 attempts <= 4"
fi
echo
echo "logs: Dispatch $dispatch_dir/state/logs, Postfix $postfix_dir/maillog, stock James $james_dir/logs" \
     "$( [ "$keep" = 1 ] && echo "(kept)" || echo "(deleted at exit; --keep keeps them)")"
[ "$failed" = 0 ] || exit 1
