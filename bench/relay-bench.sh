#!/usr/bin/env bash
# Relay throughput and greylisting latency: James + Dispatch beside Postfix and stock James 3.8.1
# (RemoteDelivery), all on this machine, all relaying to the same local smtp-sink.
#
# Usage: bench/relay-bench.sh [-n MESSAGES] [-s SESSIONS] [-d "30 60 120 300 450 600"] [-g RECIPIENTS]
#                             [--skip-greylisting] [--keep]
#   -n  messages submitted to each system in the throughput part (default 2000)
#   -s  parallel submission sessions (default 4)
#   -d  greylisting delays in seconds, run in parallel (default "30 60 120 300 450 600")
#   -g  recipients (one message each, new triplets) per system and delay (default 20)
#   --skip-greylisting  the throughput part only
#   --keep              keep the work folder (logs, queues) instead of deleting it
# Needs root (private Postfix instances, smtp-sink and postgrey drop to their own users) and
# Debian's postfix and postgrey packages. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

messages=2000
sessions=4
delays="30 60 120 300 450 600"
per_delay=20
greylisting=1
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) messages="$2"; shift 2 ;;
    -s) sessions="$2"; shift 2 ;;
    -d) delays="$2"; shift 2
        # also "-d 30 60": take the following plain numbers too
        while [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; do delays="$delays $1"; shift; done ;;
    -g) per_delay="$2"; shift 2 ;;
    --skip-greylisting) greylisting=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

grey_delays=""
[ "$greylisting" = 1 ] && grey_delays="$delays"
rcpts_per_message=3
domains="d0.bench.test,d1.bench.test,d2.bench.test,d3.bench.test,d4.bench.test,d5.bench.test,d6.bench.test,d7.bench.test,d8.bench.test,d9.bench.test"
sender="alice@bench.test"
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
cleanup() {
  set +e
  log "stopping everything ..."
  if [ -n "$dispatch_pid" ] && kill -0 "$dispatch_pid" 2>/dev/null; then
    kill -TERM "$dispatch_pid"   # the launcher stops James, then Cassandra
    for _ in $(seq 1 240); do kill -0 "$dispatch_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$dispatch_pid" 2>/dev/null && kill -KILL "$dispatch_pid"
  fi
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
pids+=($!)
wait_port "$sink_host" "$sink_port" 10

# ---------------------------------------------------------------- DNS for Dispatch
# Dispatch's submission port refuses a recipient whose domain DNS says does not exist (it looks up
# the MX at RCPT time, whatever the transport rules), so the benchmark domains get MX records from
# a private dnsmasq (dns.servers). Delivery still goes by the transport rules below, not by MX.
dns_port="$(free_port)"
dns_records=()
for domain in ${domains//,/ }; do dns_records+=("--mx-host=$domain,mx.bench.test,10"); done
for d in $grey_delays; do dns_records+=("--mx-host=g$d.bench.test,mx.bench.test,10"); done
/usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --listen-address=127.0.0.1 \
  --bind-interfaces --port="$dns_port" --local=/test/ --local-ttl=300 --pid-file= --conf-file=/dev/null \
  --user=root --log-facility=- --host-record="mx.bench.test,$sink_host" "${dns_records[@]}" \
  >"$work/dnsmasq.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$dns_port" 10

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

log "starting James + Dispatch with its embedded Cassandra (about a minute) ..."
"$java_bin" -jar "$launcher" run --conf "$conf" --state "$dispatch_dir/state" --home "$dist" \
  >"$dispatch_dir/launcher.out" 2>&1 &
dispatch_pid=$!
deadline=$((SECONDS + 300))
until grep -q "Dispatch is running." "$dispatch_dir/launcher.out"; do
  if ! kill -0 "$dispatch_pid" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
    cat "$dispatch_dir/launcher.out" >&2; echo "Dispatch did not start" >&2; exit 1
  fi
  sleep 1
done
admin() { "$java_bin" -jar "$launcher" "$@" --conf "$conf" --state "$dispatch_dir/state" --webadmin "http://127.0.0.1:$webadmin_port"; }
printf '%s\n' "$password" | admin submission add "$sender" --senders @bench.test >/dev/null

# ---------------------------------------------------------------- part A: throughput
# submit WARM messages (not measured), then N: from the first MAIL FROM (all sessions logged in
# and waiting) to the moment the sink has the last recipient (newest dump file's modification time).
warm=$(( messages / 10 < 200 ? messages / 10 : 200 ))
[ "$warm" -ge 1 ] || warm=1
declare -A rate elapsed transactions submitted_rate intake_p50 intake_p99
throughput() { # name port client-options...
  local name="$1" port="$2"; shift 2
  local out t0 end
  for phase in warm run; do
    local count=$warm; [ "$phase" = run ] && count=$messages
    rm -f "$sink_dir"/mail/*
    out="$("$py" "$helper" submit --port "$port" --sessions "$sessions" --sender "$sender" --count "$count" \
      --domains "$domains" --rcpts "$rcpts_per_message" --tag "$name-$phase-$$" "$@")" \
      || { echo "$name: submission failed: $out" >&2; return 1; }
    t0="$(sed -n 's/.*t0=\([0-9.]*\).*/\1/p' <<<"$out")"
    local t_sub; t_sub="$(sed -n 's/.*submitted=\([0-9.]*\).*/\1/p' <<<"$out")"
    local sink_out
    sink_out="$("$py" "$helper" await-sink --dir "$sink_dir/mail" --recipients $((count * rcpts_per_message)) \
      --tag "$name-$phase-$$" --timeout 1800)" || { echo "$name: not all delivered: $sink_out" >&2; return 1; }
    if [ "$phase" = run ]; then
      end="$(sed -n 's/.*end=\([0-9.]*\).*/\1/p' <<<"$sink_out")"
      elapsed[$name]="$(awk -v a="$t0" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
      rate[$name]="$(awk -v n="$count" -v a="$t0" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')"
      submitted_rate[$name]="$(awk -v n="$count" -v a="$t0" -v b="$t_sub" 'BEGIN { printf "%.0f", n / (b - a) }')"
      transactions[$name]="$(sed -n 's/.*transactions=\([0-9]*\).*/\1/p' <<<"$sink_out")"
      intake_p50[$name]="$(sed -n 's/.*intake_p50_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
      intake_p99[$name]="$(sed -n 's/.*intake_p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
      log "$name: $count messages in ${elapsed[$name]} s: ${rate[$name]} messages/s (sink: $sink_out)"
    fi
  done
}

log "part A: Dispatch ($messages messages, $warm before as warm-up) ..."
throughput dispatch "$submission_port" --starttls --user "$sender" --password "$password"
log "part A: Postfix ..."
throughput postfix "$postfix_port"

log "part A: stock James 3.8.1 with RemoteDelivery (starting it) ..."
james_dir="$work/stock-james"
james_port="$(free_port)"
mkdir -p "$james_dir/conf" "$james_dir/logs" "$james_dir/extensions-jars"
for file in "$root"/bench/stock-james/conf/*; do
  sed -e "s/@SMTP_PORT@/$james_port/" -e "s/@SINK_HOST@/$sink_host/" -e "s/@SINK_PORT@/$sink_port/" \
    "$file" >"$james_dir/conf/$(basename "$file")"
done
# the same JVM options as the launcher gives James + Dispatch (JAVA_OPTS, default -Xms256m -Xmx1g)
(cd "$james_dir" && exec "$java_bin" ${JAVA_OPTS:--Xms256m -Xmx1g} -Dworking.directory="$james_dir" \
  -Dlogback.configurationFile="$james_dir/conf/logback.xml" -Dbench.logdir="$james_dir/logs" \
  -Djames.exit.on.startup.error=true -cp "$dist/james/lib/*" org.apache.james.MemoryJamesServerMain \
  >"$james_dir/logs/james.out" 2>&1) &
james_pid=$!
pids+=("$james_pid")
wait_port 127.0.0.1 "$james_port" 180 || { tail -50 "$james_dir/logs/james.out" >&2; exit 1; }
throughput james "$james_port"
kill -TERM "$james_pid"; wait "$james_pid" 2>/dev/null || true

# ---------------------------------------------------------------- part B: greylisting
declare -A grey
if [ "$greylisting" = 1 ]; then
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
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || uname -m)"
echo
echo "Relay benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($cpu), $("$java_bin" -version 2>&1 | head -1)"
echo
echo "A) Throughput: $messages messages of ~2 KiB, $rcpts_per_message recipients each over 10 domains, $sessions" \
     "submission sessions, relayed to smtp-sink as a smart host (plain SMTP); first MAIL FROM to last recipient at the sink;"
echo "   intake: from the final dot of DATA to the 250, per message (Dispatch: after the mail is journaled in Cassandra)"
printf '%-40s %12s %10s %14s %12s %12s %18s\n' system "messages/s" "elapsed s" "submitted/s" "sink trans." "vs Postfix" \
  "intake p50/p99 ms"
for row in "dispatch|James 3.8.1 + Dispatch (STARTTLS+AUTH)" "postfix|Postfix $postfix_version (mynetworks)" \
           "james|stock James 3.8.1 RemoteDelivery"; do
  key="${row%%|*}"; label="${row#*|}"
  ratio="$(awk -v a="${rate[$key]:-0}" -v b="${rate[postfix]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  printf '%-40s %12s %10s %14s %12s %12s %18s\n' "$label" "${rate[$key]:-n/a}" "${elapsed[$key]:-n/a}" \
    "${submitted_rate[$key]:-n/a}" "${transactions[$key]:-n/a}" "$ratio" \
    "${intake_p50[$key]:-n/a}/${intake_p99[$key]:-n/a}"
done
echo "Dispatch/Postfix: $(awk -v a="${rate[dispatch]:-0}" -v b="${rate[postfix]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') (target >= 1)"
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
