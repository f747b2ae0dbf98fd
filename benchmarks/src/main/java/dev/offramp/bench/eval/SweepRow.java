package dev.offramp.bench.eval;

/** One value of a sweep: the text put in for {@code {t}}, the policy spec it made, and what it measured. */
record SweepRow(String value, String spec, FreeRunResult result) {}
