#!/usr/bin/env python3
"""Times every report and export of issue 20 on a district-sized data set, and prints the
figures as markdown for bench/README.md:

    cargo build --release
    bench/reports.py sqlite   [--scale 1]   # embedded SQLite under a fresh DATA_DIR
    bench/reports.py postgres [--scale 1]   # PostgreSQL over TCP (127.0.0.1:5432), fresh database

It seeds the district (`safecert seed-district`), makes a bureau admin and a street officer,
sets a few targets, starts `safecert serve`, and calls each report: "cold" is the first call
after the server started (empty pools, nothing prepared; the database's own cache is as the
seeding left it), "warm" the median of the next five. For the exports it reports the time to
the first byte (the headers) and to the last, and the size.
"""
import argparse, http.client, json, os, statistics, subprocess, sys, tempfile, threading, time

BIN = os.environ.get("BIN", "target/release/safecert")
PORT = 18180
PASSWORD = "bench-reports-2026"


def call(method, path, token=None, body=None, accept=None):
    """(status, seconds to the headers, seconds to the end, bytes)"""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if accept:
        headers["Accept"] = accept
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    first = time.perf_counter() - started
    data = resp.read()
    total = time.perf_counter() - started
    conn.close()
    return resp.status, first, total, data


def js(method, path, token=None, body=None):
    status, _, _, data = call(method, path, token, body)
    if status >= 300:
        sys.exit(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data)


class AnonPeak(threading.Thread):
    """The highest RssAnon (the process's own memory, not the mapped database file),
    sampled every 10 ms."""
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, False
        self.start()

    def run(self):
        while not self.done:
            try:
                status = open(f"/proc/{self.pid}/status").read()
                self.peak = max(self.peak, int(status.split("RssAnon:")[1].split()[0]) // 1024)
            except (OSError, IndexError):
                return
            time.sleep(0.01)

def memory(server, sampler):
    sampler.done = True
    status = open(f"/proc/{server.pid}/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024, sampler.peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", choices=["sqlite", "postgres"])
    ap.add_argument("--scale", default="1")
    args = ap.parse_args()
    env = dict(os.environ, RUST_LOG="warn", DEMO_DATA="false", BIND=f"127.0.0.1:{PORT}")
    work = tempfile.mkdtemp(prefix="safecert-reports-")
    env["DATA_DIR"] = work
    if args.backend == "postgres":
        db = "safecert_reports"
        for sql in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
    started = time.perf_counter()
    seeded = subprocess.run([BIN, "seed-district", "--test-machine", "--scale", args.scale],
                            env=env, check=True, capture_output=True, text=True).stdout.strip()
    seed_s = time.perf_counter() - started
    subprocess.run([BIN, "admin", "create", "--name", "区局管理员", "--phone", "13900000099",
                    "--email", "bench@safecert.test", "--password", PASSWORD],
                   env=env, check=True, capture_output=True)

    def serve():
        p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if call("GET", "/healthz")[0] == 200:
                    return p
            except OSError:
                time.sleep(0.1)
        sys.exit("the server did not start")

    server = serve()
    token = js("POST", "/api/v1/auth/login", body={"login": "13900000099", "password": PASSWORD})["token"]
    streets = js("GET", "/api/v1/streets?limit=100", token)["items"]
    street = streets[0]["id"]
    js("POST", "/api/v1/users", token, {"name": "街道应急办", "phone": "13900000098", "email": "so@safecert.test",
                                        "password": PASSWORD, "roles": ["street_officer"], "street_id": street})
    courses = js("GET", "/api/v1/courses?limit=100", token)["items"]
    fr = next(c["id"] for c in courses if c["category"] == "first_responder" and not c.get("renews_course_id"))
    year = time.localtime().tm_year
    for body in ({"course_id": fr, "target": 2000}, {"category": "safety_manager", "target": 10000},
                 {"category": "first_responder", "street_id": street, "target": 200},
                 {"industry": "电镀", "target": 1500}):
        js("POST", "/api/v1/targets", token, dict(body, year=year))
    officer = js("POST", "/api/v1/auth/login", body={"login": "13900000098", "password": PASSWORD})["token"]
    enterprise = js("GET", "/api/v1/enterprises?limit=1&offset=500", token)["items"][0]["id"]
    person = js("GET", "/api/v1/users?limit=1&offset=1000", token)["items"][0]["id"]
    server.terminate()
    server.wait()

    frm = f"{year - 4}-01-01"
    reports = [
        ("targets (4, with density)", "/api/v1/targets", token),
        ("activity by course, 5 years", f"/api/v1/reports/activity?from={frm}&group_by=course", token),
        ("activity by street, 5 years", f"/api/v1/reports/activity?from={frm}&group_by=street", token),
        ("activity by industry, 5 years", f"/api/v1/reports/activity?from={frm}&group_by=industry", token),
        ("activity by enterprise, 5 years", f"/api/v1/reports/activity?from={frm}&group_by=enterprise", token),
        ("activity by month, 5 years", f"/api/v1/reports/activity?from={frm}&group_by=month", token),
        ("activity this year, street officer", "/api/v1/reports/activity", officer),
        ("street density", "/api/v1/reports/street-density", token),
        ("compliance, first responder, 30 days", f"/api/v1/reports/compliance?course_id={fr}&days=30", token),
        ("person record (一人一档)", f"/api/v1/reports/person-record?user_id={person}", token),
        ("enterprise record (一企一档)", f"/api/v1/reports/enterprise-record?enterprise_id={enterprise}", token),
        ("question statistics", "/api/v1/reports/question-stats", token),
    ]
    server = serve()
    sampler = AnonPeak(server.pid)
    rows = []
    for name, path, who in reports:
        cold = call("GET", path, who)
        if cold[0] != 200:
            sys.exit(f"{path}: {cold[0]} {cold[3][:300]!r}")
        warm = [call("GET", path, who) for _ in range(5)]
        items = json.loads(cold[3]).get("total", "")
        rows.append((name, items, cold[2] * 1000, statistics.median(w[2] for w in warm) * 1000))
    reports_memory = memory(server, sampler)
    # The exports on a server of their own, so its peak memory is theirs alone.
    server.terminate()
    server.wait()
    server = serve()
    sampler = AnonPeak(server.pid)
    exports = []
    for name, path, who in reports[1:]:
        for fmt in ("csv", "xlsx"):
            sep = "&" if "?" in path else "?"
            status, first, total, data = call("GET", f"{path}{sep}format={fmt}", who)
            if status != 200:
                sys.exit(f"{path} {fmt}: {status}")
            exports.append((name, fmt, first * 1000, total * 1000, len(data)))
    exports_memory = memory(server, sampler)
    server.terminate()
    server.wait()

    label = "PostgreSQL over TCP (127.0.0.1:5432)" if args.backend == "postgres" else "embedded SQLite"
    print(f"#### {label}, `--scale {args.scale}`\n")
    print(f"`{seeded}` (wall clock with the process start: {seed_s:.1f} s)\n")
    print("| report | rows | cold ms | warm ms (median of 5) |\n| --- | --- | --- | --- |")
    for name, items, cold, warm in rows:
        print(f"| {name} | {items} | {cold:.1f} | {warm:.1f} |")
    print("\n| export | format | first byte ms | last byte ms | bytes |\n| --- | --- | --- | --- | --- |")
    for name, fmt, first, total, size in exports:
        print(f"| {name} | {fmt} | {first:.1f} | {total:.1f} | {size:,} |")
    for phase, (peak, anon) in (("the reports as JSON", reports_memory), ("the exports", exports_memory)):
        print(f"\n- server peak memory through {phase} (VmHWM): {peak} MB; the process's own at most "
              f"(RssAnon, sampled every 10 ms) {anon} MB; the rest is the database file mapped")


if __name__ == "__main__":
    main()
