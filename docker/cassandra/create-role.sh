#!/bin/sh
# One-shot, once the Cassandra nodes are up: creates the role Dispatch logs in as, with the password
# of the secret cassandra_password, allowed to create its keyspace (and so owning it) but no superuser;
# replicates system_auth SYSTEM_AUTH_REPLICATION times; and gives the default superuser "cassandra" a
# random password nobody keeps, so that cassandra/cassandra no longer logs in. A later run finds the
# role logging in and does nothing.
set -eu
host="${CASSANDRA_HOST:-cassandra}"
role="${DISPATCH_ROLE:-dispatch}"
replication="${SYSTEM_AUTH_REPLICATION:-1}"
password="$(cat /run/secrets/cassandra_password)"
[ -n "$password" ] || { echo "create-role.sh: the secret cassandra_password is empty" >&2; exit 1; }

logs_in() { cqlsh "$host" -u "$1" -p "$2" -e "SELECT release_version FROM system.local" >/dev/null 2>&1; }

if logs_in "$role" "$password"; then
  echo "role $role already logs in"
  exit 0
fi
# the default superuser appears some seconds after the node opens its port
tries=0
until logs_in cassandra cassandra; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "create-role.sh: cannot log in to $host as cassandra/cassandra" >&2; exit 1; }
  sleep 5
done
quoted="$(printf '%s' "$password" | sed "s/'/''/g")"
discarded="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
cqlsh "$host" -u cassandra -p cassandra <<CQL
ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': $replication};
CREATE ROLE IF NOT EXISTS $role WITH PASSWORD = '$quoted' AND LOGIN = true AND SUPERUSER = false;
GRANT CREATE ON ALL KEYSPACES TO $role;
ALTER ROLE cassandra WITH PASSWORD = '$discarded';
CQL
logs_in "$role" "$password" || { echo "create-role.sh: role $role was made but does not log in" >&2; exit 1; }
echo "role $role created; the default superuser cassandra no longer logs in with its default password"
