#!/usr/bin/env python3
"""Holds N connections open against a running SafeCert server and reports its resident
memory: before, with every connection idle after one request (keep-alive), and with every
connection stuck half-way through a request's headers (a slow client). Reads the server's
memory from /proc, so run it on the server's machine:

    bench/hold-connections.py --base http://127.0.0.1:18090 --pid PID --connections 5000
"""
import argparse, socket, time, urllib.parse


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--connections", type=int, default=5000)
    a = p.parse_args()
    url = urllib.parse.urlparse(a.base)
    addr = (url.hostname, url.port or 80)
    print(f"server RSS before: {rss_kb(a.pid) / 1024:.0f} MB")

    idle, answered = [], 0
    for _ in range(a.connections):
        s = socket.create_connection(addr)
        s.sendall(f"GET /api/v1/courses HTTP/1.1\r\nHost: {addr[0]}\r\n\r\n".encode())
        idle.append(s)
    for s in idle:
        s.settimeout(30)
        data = s.recv(65536)
        answered += data.startswith(b"HTTP/1.1 200")
    time.sleep(1)
    print(f"{len(idle)} keep-alive connections open, {answered} answered 200: "
          f"server RSS {rss_kb(a.pid) / 1024:.0f} MB")

    slow = []
    for _ in range(a.connections):
        s = socket.create_connection(addr)
        s.sendall(f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr[0]}\r\nContent-Type: application/json\r\n".encode())
        slow.append(s)
    time.sleep(1)
    print(f"{len(slow)} more stuck in their headers: server RSS {rss_kb(a.pid) / 1024:.0f} MB")
    for s in idle + slow:
        s.close()
    time.sleep(2)
    print(f"all closed: server RSS {rss_kb(a.pid) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
