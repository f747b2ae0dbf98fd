#!/usr/bin/env python3
"""The nested-policy attack: a policy of 3,000 nested all( (a 15 KB body), then an ordinary request and /health.

usage: nested_policy.py PORT     (against ./offramp serve --port PORT)
Once this overflowed the engine thread's stack: the ordinary request then hung while /health said 200.
"""
import http.client, json, sys, time

port = int(sys.argv[1])


def post(body, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t = time.time()
    try:
        c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        return "%d %s (%.2f s)" % (r.status, r.read().decode()[:160], time.time() - t)
    except OSError as e:
        return "%s after %.1f s" % (type(e).__name__, time.time() - t)


policy = "all(" * 3000 + "confidence:threshold=0.5" + ")" * 3000
print("nested:", post(json.dumps({"prompt": "a", "max_tokens": 2, "early_exit": {"policy": policy}})))
print("next:  ", post(json.dumps({"prompt": "And God said", "max_tokens": 8}), timeout=10))
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
c.request("GET", "/health")
print("health:", c.getresponse().status)
