#!/usr/bin/env python3
"""SIGTERM under load: 4 streams and 2 whole completions in flight, then SIGTERM to the server's process.

usage: drain.py PORT PID [MAX_TOKENS]   (PID: the java process of ./offramp serve --port PORT)
Prints /ready and a new request during the drain, and how each in-flight request ended.
Once the event loops closed first: streams were cut without a final event, whole requests got 0 bytes, exit 143.
"""
import http.client, json, os, signal, sys, threading, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
max_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 300


def call(stream, out):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("POST", "/v1/completions", json.dumps({"prompt": "And God said", "max_tokens": max_tokens,
                                                          "stream": stream}), {"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read().decode()
        if stream:
            events = [e for e in body.split("\n\n") if e.startswith("data: ")]
            out.append("stream %d: %s, last event %s" % (r.status, "error event" if '"error"' in body else "finished",
                                                        events[-1] if events else "(none)"))
        else:
            out.append("whole %d: %s" % (r.status, body[:90]))
    except (OSError, http.client.HTTPException) as e:
        out.append("%s: %s" % ("stream" if stream else "whole", type(e).__name__))


def get(path, body=None):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST" if body else "GET", path, body, {"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return "%d %s" % (r.status, r.read().decode()[:110])
    except OSError as e:
        return type(e).__name__


out = []
calls = [threading.Thread(target=call, args=(i < 4, out)) for i in range(6)]
for t in calls:
    t.start()
time.sleep(1.5)
t0 = time.time()
os.kill(pid, signal.SIGTERM)
time.sleep(0.2)
print("/ready during the drain:", get("/ready"))
print("new work during the drain:", get("/v1/completions", '{"prompt":"a","max_tokens":2}'))
for t in calls:
    t.join()
print("in flight, all ended %.1f s after SIGTERM:" % (time.time() - t0))
for o in sorted(out):
    print("  ", o)
