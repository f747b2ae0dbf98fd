#!/usr/bin/env python3
"""Disconnects: clients that open a stream and drop the connection mid-stream, then the server's ledgers.

usage: disconnects.py PORT [COUNT] [AT_ONCE]   (defaults 60 disconnects, 4 at a time)
Each client starts a streamed completion of 1,000 tokens, reads a few chunks and closes its socket (half of them
with a reset, SO_LINGER 0). Then it waits until offramp_requests_running is 0 and prints how long that took,
offramp_kv_cache_usage_ratio, how much offramp_requests_cancelled_total{reason="client_disconnected"} grew, and a
normal completion's status. Exits 1 unless running and KV are back to 0, every drop was counted and the server answers.
"""
import http.client, json, socket, struct, sys, threading, time

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
at_once = int(sys.argv[3]) if len(sys.argv) > 3 else 4
body = json.dumps({"prompt": "And God said", "max_tokens": 1000, "stream": True}).encode()


def metric(series):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(series + " ") or line.startswith(series + "{") and "{" not in series:
            total += float(line.rsplit(" ", 1)[1])
    return total


def drop(k, chunks):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d"
              b"\r\n\r\n%s" % (len(body), body))
    seen = b""
    while seen.count(b"data: {") < 3:  # a few tokens in: mid-stream
        part = s.recv(4096)
        if not part:
            break
        seen += part
    if k % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    s.close()
    chunks.append(seen.count(b"data: {"))


cancelled = 'offramp_requests_cancelled_total{model="kjv-ee-12l",reason="client_disconnected"}'
before = metric(cancelled)
t0 = time.time()
chunks = []
for first in range(0, count, at_once):
    batch = [threading.Thread(target=drop, args=(k, chunks)) for k in range(first, min(count, first + at_once))]
    for t in batch:
        t.start()
    for t in batch:
        t.join()
dropped = time.time()
while metric("offramp_requests_running") > 0 and time.time() - dropped < 30:
    time.sleep(0.05)
freed = time.time() - dropped
running, kv = metric("offramp_requests_running"), metric("offramp_kv_cache_usage_ratio")
counted = metric(cancelled) - before
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/v1/completions", json.dumps({"prompt": "And God said", "max_tokens": 8}),
          {"Content-Type": "application/json"})
after = c.getresponse()
after.read()
print("disconnects: %d streams dropped after %d-%d chunks in %.1f s; running %g and KV usage %g %.2f s after the"
      " last drop; cancelled client_disconnected +%g; a completion after: %d"
      % (len(chunks), min(chunks), max(chunks), dropped - t0, running, kv, freed, counted, after.status))
sys.exit(0 if running == 0 and kv == 0 and counted == count and after.status == 200 else 1)
