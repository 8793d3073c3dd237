#!/bin/sh
# Entry point of the Cassandra containers: turns on PasswordAuthenticator and CassandraAuthorizer in
# the image's cassandra.yaml (the one-line form "authenticator: X" and the "class_name: X" form of 5.0
# alike), then starts Cassandra as the image does. Stops if the setting cannot be found.
set -eu
yaml=/etc/cassandra/cassandra.yaml
auth='(org\.apache\.cassandra\.auth\.)?'
sed -i -E \
  -e "s/^(authenticator:)[[:space:]]*${auth}AllowAllAuthenticator[[:space:]]*\$/\1 PasswordAuthenticator/" \
  -e "s/^(authorizer:)[[:space:]]*${auth}AllowAllAuthorizer[[:space:]]*\$/\1 CassandraAuthorizer/" \
  -e "s/^([[:space:]]+class_name[[:space:]]*:[[:space:]]*)${auth}AllowAllAuthenticator[[:space:]]*\$/\1org.apache.cassandra.auth.PasswordAuthenticator/" \
  -e "s/^([[:space:]]+class_name[[:space:]]*:[[:space:]]*)${auth}AllowAllAuthorizer[[:space:]]*\$/\1org.apache.cassandra.auth.CassandraAuthorizer/" \
  "$yaml"
grep -Eq "^(authenticator:|[[:space:]]+class_name[[:space:]]*:)[[:space:]]*${auth}PasswordAuthenticator" "$yaml" \
  || { echo "enable-auth.sh: found no authenticator setting to change in $yaml" >&2; exit 1; }
exec docker-entrypoint.sh "$@"
