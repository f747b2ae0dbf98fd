#!/usr/bin/env python3
"""Big prompts against running streams: 4 streams of 200 tokens, alone and while 2 clients send ~880 KB prompts.

usage: big_prompts.py PORT [PACE_S]   (PACE_S: at most one big prompt per client every PACE_S seconds; 0: a flood)
Prints each run's total streamed chunks per second and the largest gap between two chunks of one stream.
Once prompts were tokenized on the engine thread: 0 chunks reached the streams in 30 s.
"""
import http.client, json, sys, threading, time

port = int(sys.argv[1])
pace = float(sys.argv[2]) if len(sys.argv) > 2 else 0.6
big = json.dumps({"prompt": "And God said, Let there be light: and there was light. " * 16000, "max_tokens": 4})


def attacker(stop, out):
    while not stop.is_set():
        t = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/v1/completions", big, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        out.append((r.status, time.time() - t))
        c.close()
        time.sleep(max(0.0, pace - (time.time() - t)))


def stream(out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/v1/completions", json.dumps({"prompt": "And God said", "max_tokens": 200, "stream": True}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    times = [time.time()]
    while True:
        try:
            line = r.fp.readline()
        except TimeoutError:
            times.append(time.time())  # starved: what it got in the time it waited
            break
        if not line or line.startswith(b"data: [DONE]"):
            break
        if line.startswith(b"data: {"):
            times.append(time.time())
    gaps = [b - a for a, b in zip(times, times[1:])]
    out.append(((len(times) - 2) / (times[-1] - times[1]) if len(times) > 2 else 0.0, max(gaps)))


def run(attack):
    stop, answers, results = threading.Event(), [], []
    attackers = [threading.Thread(target=attacker, args=(stop, answers)) for _ in range(2 if attack else 0)]
    for t in attackers:
        t.start()
    time.sleep(1.0 if attack else 0.0)
    streams = [threading.Thread(target=stream, args=(results,)) for _ in range(4)]
    for t in streams:
        t.start()
    for t in streams:
        t.join()
    stop.set()
    for t in attackers:
        t.join()
    print("%-12s streams: %6.1f chunks/s in all, largest gap %5.0f ms%s" % (
        "with attack" if attack else "undisturbed", sum(r[0] for r in results), 1000 * max(r[1] for r in results),
        "; %d big prompts answered %s, median %.2f s" % (len(answers), sorted({a[0] for a in answers}),
                                                         sorted(a[1] for a in answers)[len(answers) // 2])
        if answers else ""))


run(False)
run(True)
