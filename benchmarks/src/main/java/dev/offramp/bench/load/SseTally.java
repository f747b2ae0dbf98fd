package dev.offramp.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;

/**
 * Reads one streamed completion's server-sent events, line by line as they arrive, into a {@link RequestSample}.
 * Times are passed in (nanoseconds, any origin) so that the parsing is tested on fixed strings.
 *
 * <p>A chunk counts as a token when its {@code choices[0].text} is non-empty. Offramp's last chunk carries the
 * finish reason, {@code usage} and any held-back tail text in a non-empty {@code choices} (OpenAI's usage chunk has
 * an empty one), so counting every chunk with choices would add one per request; and a token whose text is still an
 * incomplete UTF-8 sequence sends no chunk at all. The token total therefore prefers {@code usage.completion_tokens}.
 */
final class SseTally {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final long startNanos;
    private double[] gapsMs = new double[16];
    private int gaps;
    private long firstNanos = -1;
    private long lastNanos = -1;
    private int textChunks;
    private int reportedTokens = -1;
    private boolean done;
    private String error;

    SseTally(long startNanos) {
        this.startNanos = startNanos;
    }

    void line(String line, long nanos) {
        if (done || error != null || !line.startsWith("data:")) {
            return;  // blank separators, comments, event names; anything after [DONE]
        }
        String data = line.substring(5).strip();
        if (data.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = JSON.readTree(data);
        } catch (JsonProcessingException e) {
            error = "malformed event: " + data;
            return;
        }
        if (chunk.has("error")) {
            error = "error event: " + chunk.get("error");
            return;
        }
        JsonNode used = chunk.path("usage").path("completion_tokens");
        if (used.isInt()) {
            reportedTokens = used.intValue();
        }
        JsonNode text = chunk.path("choices").path(0).path("text");
        if (!text.isTextual() || text.textValue().isEmpty()) {
            return;
        }
        if (firstNanos < 0) {
            firstNanos = nanos;
        } else {
            if (gaps == gapsMs.length) {
                gapsMs = Arrays.copyOf(gapsMs, gaps * 2);
            }
            gapsMs[gaps++] = (nanos - lastNanos) / 1e6;
        }
        lastNanos = nanos;
        textChunks++;
    }

    RequestSample finish(long endNanos) {
        double latencyMs = (endNanos - startNanos) / 1e6;
        String problem = error != null ? error : done ? null : "stream ended before data: [DONE]";
        int tokens = reportedTokens >= 0 ? reportedTokens : textChunks;
        double ttft = firstNanos < 0 ? Double.NaN : (firstNanos - startNanos) / 1e6;
        return new RequestSample(200, problem, tokens, ttft, Arrays.copyOf(gapsMs, gaps), latencyMs);
    }
}
