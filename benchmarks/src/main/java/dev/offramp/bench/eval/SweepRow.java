package dev.offramp.bench.eval;

/**
 * One value of a sweep: the policy template it filled ({@code policy}, with {@code {t}}), the text put in for
 * {@code {t}}, the policy spec it made, and what it measured.
 */
record SweepRow(String policy, String value, String spec, FreeRunResult result) {}
