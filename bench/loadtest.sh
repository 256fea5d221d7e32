#!/usr/bin/env bash
# One command for one load-test run: builds the release binary and the load generator, seeds a
# sitting with N candidates on a fresh database, starts the server, plays the candidates
# against it and prints the figures as markdown (append them to bench/README.md).
#
#   bench/loadtest.sh embedded 1000                 # SQLite + in-process live store
#   bench/loadtest.sh postgres 5000                 # PostgreSQL + Redis on 127.0.0.1
#   bench/loadtest.sh postgres 200 --think-ms 0 --passes 20   # saturation
#
# Extra arguments go to the load generator (examples/loadgen.rs). MINUTES sets how long the
# sitting stays open (the deadline); PORT the server's port; LOAD_DIR where the run's data
# directory (the SQLite file) is made (/tmp; /dev/shm puts it in memory, to tell the disk's share).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?embedded or postgres}
n=${2:?number of candidates}
shift 2
port=${PORT:-18090}
minutes=${MINUTES:-$((3 + n / 1500))}
work=$(mktemp -d "${LOAD_DIR:-/tmp}"/safecert-load.XXXXXX)

bin=${CARGO_TARGET_DIR:-target}/release
cargo build --release --quiet
cargo build --release --quiet --example loadgen

export DATA_DIR=$work DEMO_DATA=false RUST_LOG=${RUST_LOG:-warn}
case $backend in
embedded) label="Embedded (SQLite + in-process store)" ;;
postgres)
    db=loadtest_$$
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    redis-cli -h 127.0.0.1 --scan --pattern "lt$$:*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null
    # TCP, as a deployment reaches its database (sqlx 0.9.1 sets TCP_NODELAY).
    # PG_HOST=%2Fvar%2Frun%2Fpostgresql measures the Unix socket instead, as a side note.
    export DATABASE_URL="postgres://postgres@${PG_HOST:-127.0.0.1:5432}/$db" REDIS_URL=redis://127.0.0.1:6379 \
        REDIS_PREFIX=lt$$ DB_MAX_CONNECTIONS=${DB_MAX_CONNECTIONS:-32}
    label="PostgreSQL + Redis"
    ;;
*) echo "backend must be embedded or postgres" >&2; exit 2 ;;
esac

seed() { "$bin"/safecert loadtest-seed --test-machine --candidates "$n" --minutes "$minutes" --out "$work/seed.json" >/dev/null; }
if [ "$backend" = postgres ]; then
    # Seeding writes thousands of rows one by one: without waiting for each commit's flush
    # (the seeding run only; the server keeps the default).
    DATABASE_URL="$DATABASE_URL?options=-c%20synchronous_commit%3Doff" seed
else
    seed
fi
if [ "$backend" = postgres ]; then
    # Fresh statistics for the tables the seeding filled: the planner must know they are no
    # longer empty. Not for the ones it left empty (attempts and their answers and events): a
    # plan made while `attempts` is known to be empty scans it whole, every connection keeps
    # that plan through the storm, and each start then reads every attempt begun before it
    # (bench/README.md, "A plan made for an empty table"). A deployment's attempts table
    # holds every exam before this one.
    psql -q -h 127.0.0.1 -U postgres -d "$db" -c "ANALYZE users" -c "ANALYZE registrations" \
        -c "ANALYZE papers" -c "ANALYZE sittings" -c "ANALYZE courses" -c "ANALYZE question_versions"
fi
"$bin"/safecert serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

"$bin"/examples/loadgen --base "http://127.0.0.1:$port" --seed "$work/seed.json" \
    --server-pid "$server" --label "$label, N=$n" "$@"
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT
if [ "$backend" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $db"
fi
rm -rf "$work"
