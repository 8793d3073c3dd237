#!/usr/bin/env bash
# DKIM signing speed: Dispatch (one thread, so per core) with the JDK's JCA providers and with the native provider
# (crypto.provider = native), beside OpenSSL on the same machine.
# Usage: bench/dkim-bench.sh [scale]   (scale multiplies the signature counts; 0.1 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."

scale="${1:-1}"
main_class=org.dispatchmail.core.dkim.DkimSignBenchmark
marker=core/target/test-classes/org/dispatchmail/core/dkim/DkimSignBenchmark.class
classpath_file=core/target/dkim-bench.classpath

command -v openssl >/dev/null || { echo "openssl is not installed (apt-get install -y openssl)" >&2; exit 1; }

# Maven offline first (fast, no network), then online for a machine whose local repository lacks something.
mvn_core() {
  { mvn -B -q -o -pl core "$@" || mvn -B -q -pl core "$@"; } >&2
}

if [ ! -f "$marker" ] || [ -n "$(find core/src core/pom.xml -newer "$marker" -print -quit)" ]; then
  echo "building core (test-compile)..." >&2
  mvn_core test-compile
fi
if [ ! -s "$classpath_file" ] || [ core/pom.xml -nt "$classpath_file" ] || [ pom.xml -nt "$classpath_file" ]; then
  mvn_core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$(pwd)/$classpath_file" >/dev/null
fi

jdk_out="$(mktemp)"
native_out="$(mktemp)"
openssl_out="$(mktemp)"
openssl_elapsed_out="$(mktemp)"
trap 'rm -f "$jdk_out" "$native_out" "$openssl_out" "$openssl_elapsed_out"' EXIT

run_java() {
  java -cp "core/target/test-classes:core/target/classes:$(cat "$classpath_file")" "$main_class" "$scale" "$1"
}
echo "measuring Dispatch with the JDK's providers (about two minutes)..." >&2
run_java jdk | tee "$jdk_out" >&2
echo "measuring Dispatch with the native provider (about two minutes)..." >&2
run_java native | tee "$native_out" >&2
echo "measuring OpenSSL (openssl speed -seconds 3 rsa2048 ed25519, per CPU second then per wall-clock second," \
  "about 25 s)..." >&2
openssl speed -seconds 3 rsa2048 ed25519 >"$openssl_out" 2>/dev/null
openssl speed -elapsed -seconds 3 rsa2048 ed25519 >"$openssl_elapsed_out" 2>/dev/null

# "RESULT <algorithm> <case> <per wall second> <per CPU second>" from a Java run's output file; $4 wall, $5 CPU
result() { awk -v a="$2" -v c="$3" -v f="$4" '$1 == "RESULT" && $2 == a && $3 == c { print $f }' "$1"; }
# the sign/s column, second to last, of openssl's summary lines
openssl_rate() { awk -v n="$1" '$0 ~ n { print $(NF-1) }' "$2"; }
ratio() { awk -v r="$1" -v o="$2" 'BEGIN { if (o > 0) printf "%.2f", r / o; else print "n/a" }'; }

echo
echo "DKIM signatures per second on one core, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || uname -m)"
echo "$(grep '^# java' "$jdk_out" | sed 's/^# //'); $(openssl version)"
grep -h '^# provider' "$jdk_out" "$native_out" | sed 's/^# //'
printf '%-15s %-7s %9s %9s %9s %10s %12s %9s %12s %9s\n' algorithm provider 5kB 100kB raw "OpenSSL" "raw/OpenSSL" \
  "raw CPU" "OpenSSL CPU" "CPU ratio"
for row in "rsa-sha256 ^rsa.2048.bits" "ed25519-sha256 EdDSA..Ed25519"; do
  set -- $row
  algorithm="$1"
  openssl_wall="$(openssl_rate "$2" "$openssl_elapsed_out")"; openssl_cpu="$(openssl_rate "$2" "$openssl_out")"
  for provider in jdk native; do
    out="$jdk_out"; [ "$provider" = native ] && out="$native_out"
    raw="$(result "$out" "$algorithm" raw 4)"; raw_cpu="$(result "$out" "$algorithm" raw 5)"
    printf '%-15s %-7s %9s %9s %9s %10s %12s %9s %12s %9s\n' "$algorithm" "$provider" \
      "$(result "$out" "$algorithm" 5kB 4)" "$(result "$out" "$algorithm" 100kB 4)" "$raw" "$openssl_wall" \
      "$(ratio "$raw" "$openssl_wall")" "$raw_cpu" "$openssl_cpu" "$(ratio "$raw_cpu" "$openssl_cpu")"
  done
done
echo
echo "5kB/100kB: whole messages (canonicalization, body hash, header hash, signature, folding); raw: the signing"
echo "primitive over a 32-byte input, the same work as 'openssl speed' measures. One thread each side. The first"
echo "columns count per wall-clock second (OpenSSL: openssl speed -elapsed); the CPU columns per second of the"
echo "signing thread's CPU time (OpenSSL: plain openssl speed, which divides by its user CPU time), which other"
echo "work on the machine disturbs less. jdk: the JDK's providers; native: Amazon Corretto Crypto Provider first,"
echo "as crypto.provider = native registers it (Ed25519 is BouncyCastle's either way; the native provider only"
echo "hashes its messages)."
