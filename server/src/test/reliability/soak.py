#!/usr/bin/env python3
"""A soak: N clients streaming back to back for T minutes, the server's RSS sampled over time.

usage: soak.py PORT PID [STREAMS] [MINUTES] [SAMPLE_S]   (PID: the java process of ./offramp serve --port PORT;
                                                          defaults 8 streams, 4 minutes, a sample every 5 s)
Each client loops over the three routes (completions, chat, native generate), all streamed with the usage in the
last event, 32-256 new tokens (seeded), every fourth request with a latency budget (cut or served). Prints a line per
sample (RSS from /proc/PID/status VmRSS, tokens/s since the last sample), then start/peak/end RSS, tokens/s over the
whole run, and the statuses seen. Exits 1 if a request failed (any status but 200, or a stream without [DONE]).
"""
import http.client, json, random, sys, threading, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
streams = int(sys.argv[3]) if len(sys.argv) > 3 else 8
minutes = float(sys.argv[4]) if len(sys.argv) > 4 else 4.0
sample_s = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
lock = threading.Lock()
tokens = [0]
statuses = {}


def rss_mb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise SystemExit("no VmRSS for pid %d" % pid)


def request(rng, i):
    n = rng.randint(32, 256)
    route = ("/v1/completions", "/v1/chat/completions", "/v1/generate")[i % 3]
    if route == "/v1/chat/completions":
        body = {"messages": [{"role": "user", "content": "And God said"}], "max_tokens": n, "stream": True}
    else:
        body = {"prompt": "And God said", "max_tokens": n, "stream": True}
    if route != "/v1/generate":
        body["stream_options"] = {"include_usage": True}
    headers = {"Content-Type": "application/json"}
    if i % 4 == 3:
        headers["X-Latency-Budget-Ms"] = "300"
        headers["X-Latency-Budget-Policy"] = "cut" if i % 8 == 7 else "serve"
    return route, json.dumps(body), headers


def client(k, end):
    rng = random.Random(k)
    i = k
    while time.time() < end:
        route, body, headers = request(rng, i)
        i += 1
        outcome, n = "error", 0
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("POST", route, body, headers)
            r = c.getresponse()
            last = None
            done = False
            for line in r:
                if line.startswith(b"data: [DONE]"):
                    done = True
                elif line.startswith(b"data: {"):
                    last = line
            c.close()
            if r.status != 200:
                outcome = str(r.status)
            elif not done or last is None:
                outcome = "200 without [DONE]"
            else:
                outcome = "200"
                n = json.loads(last[6:])["usage"]["completion_tokens"]
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            outcome = type(e).__name__
        with lock:
            tokens[0] += n
            statuses[outcome] = statuses.get(outcome, 0) + 1


start = time.time()
end = start + 60 * minutes
samples = [(0.0, rss_mb(), 0)]
print("%7s %9s %9s" % ("t s", "RSS MB", "tokens/s"))
print("%7.0f %9.1f %9s" % (0, samples[0][1], "-"))
clients = [threading.Thread(target=client, args=(k, end), daemon=True) for k in range(streams)]
for t in clients:
    t.start()
while time.time() < end:
    time.sleep(min(sample_s, max(0.0, end - time.time())))
    with lock:
        done_tokens = tokens[0]
    t, rss = time.time() - start, rss_mb()
    prev = samples[-1]
    samples.append((t, rss, done_tokens))
    print("%7.0f %9.1f %9.1f" % (t, rss, (done_tokens - prev[2]) / max(1e-9, t - prev[0])), flush=True)
for t in clients:
    t.join(90)
elapsed = time.time() - start
final = rss_mb()
peak = max(max(s[1] for s in samples), final)
print("soak: %d streams, %.1f min: RSS start %.1f MB, peak %.1f MB, end %.1f MB (%+.1f MB); %d tokens, %.1f tokens/s;"
      " answers %s" % (streams, elapsed / 60, samples[0][1], peak, final, final - samples[0][1], tokens[0],
                       tokens[0] / elapsed, dict(sorted(statuses.items()))))
sys.exit(0 if set(statuses) <= {"200"} else 1)
