package dev.offramp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SSE parsing on fixed strings; times are fake nanoseconds (1 ms = 1,000,000). */
class SseTallyTest {
    private static final long MS = 1_000_000;

    private static String chunk(String text) {
        return "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"" + text
                + "\",\"finish_reason\":null}]}";
    }

    @Test
    void offrampStreamTakesTheTokenCountFromUsage() {
        SseTally t = new SseTally(0);
        t.line(chunk("And"), 10 * MS);
        t.line("", 10 * MS);
        t.line(chunk(" God"), 13 * MS);
        t.line("", 13 * MS);
        t.line(chunk(" said"), 17 * MS);
        // Offramp's last chunk: a non-empty choices carrying the finish reason and usage (4 tokens: one had no text)
        t.line("data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":4,\"total_tokens\":8}}", 18 * MS);
        t.line("data: [DONE]", 18 * MS);
        RequestSample s = t.finish(20 * MS);
        assertThat(s.ok()).isTrue();
        assertThat(s.tokens()).isEqualTo(4);
        assertThat(s.ttftMs()).isEqualTo(10.0);
        assertThat(s.itlMs()).containsExactly(3.0, 4.0);
        assertThat(s.latencyMs()).isEqualTo(20.0);
    }

    @Test
    void withoutUsageEveryChunkWithTextIsAToken() {
        SseTally t = new SseTally(5 * MS);
        t.line(": keep-alive comment", 6 * MS);
        t.line("data:" + chunk("a").substring(6), 7 * MS);  // "data:" with no space is valid SSE
        t.line(chunk("b"), 9 * MS);
        t.line("data: {\"choices\":[{\"index\":0,\"text\":\"c\",\"finish_reason\":\"stop\"}]}", 12 * MS);
        t.line("data: {\"choices\":[],\"usage\":null}", 12 * MS);  // OpenAI's usage chunk shape: not a token
        t.line("data: [DONE]", 12 * MS);
        t.line(chunk("after done"), 30 * MS);
        RequestSample s = t.finish(13 * MS);
        assertThat(s.ok()).isTrue();
        assertThat(s.tokens()).isEqualTo(3);
        assertThat(s.ttftMs()).isEqualTo(2.0);
        assertThat(s.itlMs()).containsExactly(2.0, 3.0);
    }

    @Test
    void chunksWithoutTextStartNoClock() {
        SseTally t = new SseTally(0);
        t.line("data: {\"choices\":[{\"index\":0,\"text\":null}]}", MS);
        t.line("data: {\"choices\":[{\"index\":0,\"text\":\"\"}]}", 2 * MS);
        t.line(chunk("x"), 4 * MS);
        t.line("data: [DONE]", 5 * MS);
        RequestSample s = t.finish(5 * MS);
        assertThat(s.tokens()).isEqualTo(1);
        assertThat(s.ttftMs()).isEqualTo(4.0);
        assertThat(s.itlMs()).isEmpty();
    }

    @Test
    void aStreamCutShortIsAnError() {
        SseTally t = new SseTally(0);
        t.line(chunk("a"), MS);
        RequestSample s = t.finish(2 * MS);
        assertThat(s.ok()).isFalse();
        assertThat(s.rejected()).isFalse();
        assertThat(s.error()).contains("before data: [DONE]");
        assertThat(s.tokens()).isEqualTo(1);
    }

    @Test
    void malformedAndErrorEventsAreErrors() {
        SseTally bad = new SseTally(0);
        bad.line("data: {not json", MS);
        bad.line("data: [DONE]", MS);
        assertThat(bad.finish(MS).error()).contains("malformed event: {not json");

        SseTally failed = new SseTally(0);
        failed.line("data: {\"error\":{\"message\":\"engine failed\",\"type\":\"server_error\"}}", MS);
        failed.line("data: [DONE]", MS);
        assertThat(failed.finish(MS).error()).contains("engine failed");
    }
}
