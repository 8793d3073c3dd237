#!/usr/bin/env bash
# DKIM signing speed: Dispatch (one thread, so per core) beside OpenSSL on the same machine.
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

java_out="$(mktemp)"
openssl_out="$(mktemp)"
trap 'rm -f "$java_out" "$openssl_out"' EXIT

echo "measuring Dispatch (about two minutes)..." >&2
java -cp "core/target/test-classes:core/target/classes:$(cat "$classpath_file")" "$main_class" "$scale" | tee "$java_out" >&2
echo "measuring OpenSSL (openssl speed -seconds 3 rsa2048 ed25519, about 12 s)..." >&2
openssl speed -seconds 3 rsa2048 ed25519 >"$openssl_out" 2>/dev/null

# "RESULT <algorithm> <case> <per second>" from the Java side
result() { awk -v a="$1" -v c="$2" '$1 == "RESULT" && $2 == a && $3 == c { print $4 }' "$java_out"; }
# the sign/s column, second to last, of openssl's summary lines
openssl_rsa="$(awk '/^rsa 2048 bits/ { print $(NF-1) }' "$openssl_out")"
openssl_ed="$(awk '/EdDSA \(Ed25519\)/ { print $(NF-1) }' "$openssl_out")"

echo
echo "DKIM signatures per second on one core, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || uname -m)"
echo "$(grep '^# java' "$java_out" | sed 's/^# //'); $(openssl version)"
printf '%-16s %14s %14s %14s %14s %12s\n' algorithm "Dispatch 5kB" "Dispatch 100kB" "Dispatch raw" "OpenSSL sign" "raw/OpenSSL"
for row in "rsa-sha256 $openssl_rsa" "ed25519-sha256 $openssl_ed"; do
  set -- $row
  algorithm="$1"; openssl_rate="${2:-0}"
  small="$(result "$algorithm" 5kB)"; large="$(result "$algorithm" 100kB)"; raw="$(result "$algorithm" raw)"
  ratio="$(awk -v r="$raw" -v o="$openssl_rate" 'BEGIN { if (o > 0) printf "%.2f", r / o; else print "n/a" }')"
  printf '%-16s %14s %14s %14s %14s %12s\n' "$algorithm" "$small" "$large" "$raw" "$openssl_rate" "$ratio"
done
echo
echo "5kB/100kB: whole messages (canonicalization, body hash, header hash, signature, folding); raw: the signing"
echo "primitive over a 32-byte input, the same work as 'openssl speed' measures. One thread each side."
