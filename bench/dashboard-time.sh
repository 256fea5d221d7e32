#!/bin/bash
# Times the bureau's dashboard page (GET /dashboard: targets, density, twelve months of
# activity, question statistics, 学时), six calls, on the PostgreSQL district that
# `bench/reports.py postgres` leaves behind (database safecert_reports, its bureau admin).
#   bench/dashboard-time.sh target/release/safecert bench-reports-2026
set -u
BIN=$1
D=$(mktemp -d)
DATA_DIR=$D DEMO_DATA=false RUST_LOG=warn DATABASE_URL=postgres://postgres@127.0.0.1:5432/safecert_reports $BIN serve --bind 127.0.0.1:18292 > /tmp/dash-server.log 2>&1 &
PID=$!
for i in $(seq 50); do curl -sf http://127.0.0.1:18292/healthz >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST http://127.0.0.1:18292/api/v1/auth/login -H 'content-type: application/json' -d '{"login":"13900000099","password":"'"$2"'"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
for i in 1 2 3 4 5 6; do
  curl -s -o /tmp/dash.html -w "%{http_code} %{time_total}\n" -H "Cookie: sc_session=$TOKEN" http://127.0.0.1:18292/dashboard
done
kill $PID
