#!/usr/bin/env python3
"""Sends every login of a seeded load test at once, each on its own connection, and reports
when each was answered, in arrival order, with the kernel's TCP counters around the storm.
`--keepalive` arms TCP keep-alive on the client sockets the way reqwest does by default
(idle 15 s, interval 15 s, 3 probes), to tell the client's own timers from the server:

    safecert loadtest-seed --test-machine --candidates 5000 --minutes 30 --out seed.json
    safecert serve --bind 127.0.0.1:18090 &
    bench/login-storm.py --base http://127.0.0.1:18090 --seed seed.json [--keepalive]
"""
import argparse, asyncio, json, socket, subprocess, time, urllib.parse


def tcp_counters():
    out = subprocess.run(["nstat", "-asz"], capture_output=True, text=True).stdout
    wanted = ("TcpExtTCPAbortOnTimeout", "TcpExtTCPKeepAlive", "TcpExtListenOverflows",
              "TcpExtListenDrops", "TcpAttemptFails", "TcpEstabResets", "TcpRetransSegs",
              "TcpExtTCPSynRetrans")
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in wanted:
            counts[parts[0]] = int(parts[1])
    return counts


async def login(addr, phone, password, keepalive, started, results):
    body = json.dumps({"login": phone, "password": password}).encode()
    request = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr[0]}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
               f"Connection: close\r\n\r\n").encode() + body
    t0 = time.monotonic()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if keepalive:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 15)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 15)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, addr)
        connected = time.monotonic() - t0
        await loop.sock_sendall(sock, request)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 120)
            if not chunk:
                break
            reply += chunk
        status = reply.split(b" ", 2)[1].decode() if reply else "closed"
        results.append((time.monotonic() - started, connected, status))
    except Exception as e:  # noqa: BLE001 - every failure is a result here
        results.append((time.monotonic() - started, None, type(e).__name__ + ":" + str(e)[:40]))
    finally:
        sock.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--seed", required=True)
    p.add_argument("--keepalive", action="store_true")
    a = p.parse_args()
    seed = json.load(open(a.seed))
    url = urllib.parse.urlparse(a.base)
    addr = (url.hostname, url.port or 80)
    before = tcp_counters()
    started = time.monotonic()
    results = []
    await asyncio.gather(*(login(addr, phone, seed["password"], a.keepalive, started, results)
                           for phone in seed["candidates"]))
    after = tcp_counters()
    ok = sorted(r[0] for r in results if r[2] == "200")
    failed = {}
    for r in results:
        if r[2] != "200":
            failed[r[2]] = failed.get(r[2], 0) + 1
    slow_connects = sum(1 for r in results if r[1] is not None and r[1] > 1.0)
    print(f"logins: {len(results)} sent at once, keep-alive {'on' if a.keepalive else 'off'}")
    if ok:
        print(f"answered 200: {len(ok)}; first {ok[0]:.1f} s, median {ok[len(ok) // 2]:.1f} s, "
              f"last {ok[-1]:.1f} s")
    print(f"failed: {failed or 'none'}")
    print(f"connects that took over 1 s: {slow_connects}")
    print("kernel TCP counters during the storm: "
          + ", ".join(f"{k} +{after.get(k, 0) - before.get(k, 0)}" for k in sorted(after)))


if __name__ == "__main__":
    asyncio.run(main())
