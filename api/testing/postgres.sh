#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the API's storage tests.
#
#   api/testing/postgres.sh                 # start, print the URL, stop on Ctrl-C
#   api/testing/postgres.sh CMD [ARGS...]   # start, run CMD with FRESHROUTE_TEST_POSTGRES_URL
#                                           # set, stop; exits with CMD's status
#
# Uses Debian's server binaries (apt-get install -y postgresql): initdb into a temporary
# directory, pg_ctl start on a free port bound to 127.0.0.1 only, trust authentication,
# no fsync (the data is thrown away). PostgreSQL refuses to run as root, so as root the
# server runs as the `postgres` user (created by the Debian package) via runuser.
set -euo pipefail

bindir=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then bindir=$dir; break; fi
done
if [[ -z "$bindir" ]]; then
    echo "postgres.sh: no PostgreSQL server found; run: apt-get install -y postgresql" >&2
    exit 2
fi

as_server=()
if [[ $(id -u) == 0 ]]; then
    user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    as_server=(runuser -u "$user" --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/freshroute-pg.XXXXXX")
[[ ${#as_server[@]} -gt 0 ]] && chown "${as_server[2]}" "$tmp"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
    "${as_server[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_server[@]}" "$bindir/initdb" -D "$tmp/data" -U freshroute --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 \
    || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_server[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c full_page_writes=off" \
    -o "-c synchronous_commit=off -c max_connections=200" start >/dev/null \
    || { cat "$tmp/server.log" >&2; exit 1; }

url="postgresql+psycopg://freshroute@127.0.0.1:$port/postgres"
echo "$url"
export FRESHROUTE_TEST_POSTGRES_URL=$url

if [[ $# -gt 0 ]]; then
    status=0
    "$@" || status=$?
    exit $status
fi
echo "PostgreSQL is up; press Ctrl-C to stop it." >&2
while true; do sleep 3600; done
