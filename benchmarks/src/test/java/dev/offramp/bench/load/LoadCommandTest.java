package dev.offramp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.offramp.bench.BenchCli;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator against a fake SSE server on 127.0.0.1: counts and shapes, never speeds. */
class LoadCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ConcurrentLinkedQueue<JsonNode> bodies = new ConcurrentLinkedQueue<>();
    private ExecutorService threads;
    private HttpServer server;
    private String url;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/completions", this::completions);
        threads = Executors.newCachedThreadPool();  // one thread per open stream, as concurrency needs
        server.setExecutor(threads);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        threads.shutdownNow();
    }

    /** Five chunks, then [DONE]; a prompt containing "reject" gets a 429 instead. */
    private void completions(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
        bodies.add(body);
        if (body.path("prompt").asText().contains("reject")) {
            byte[] error = "{\"error\":{\"message\":\"busy\",\"type\":\"overloaded\"}}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Retry-After", "1");
            ex.sendResponseHeaders(429, error.length);
            ex.getResponseBody().write(error);
            ex.close();
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);  // 0: chunked
        try (OutputStream out = ex.getResponseBody()) {
            for (int i = 0; i < 5; i++) {
                out.write(("data: {\"choices\":[{\"index\":0,\"text\":\" t" + i + "\",\"finish_reason\":null}]}\n\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                sleep(1);  // separate arrivals, so that gaps are real; nothing asserts their size
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyRequestStreamsFiveTokens() throws Exception {
        Output o = load("--url", url + "/", "--streams", "1,3", "--requests-per-stream", "2", "--max-tokens", "5",
                "--early-exit", "{\"policy\":\"confidence:threshold=0.5\"}", "--json");
        assertThat(o.code).as(o.err).isZero();
        JsonNode r = JSON.readTree(o.out);
        assertThat(r.get("url").asText()).isEqualTo(url + "/v1/completions");
        JsonNode levels = r.get("levels");
        assertThat(levels).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode l = levels.get(i);
            int requests = List.of(1, 3).get(i) * 2;
            assertThat(l.get("streams").asInt()).isEqualTo(requests / 2);
            assertThat(l.get("requests").asInt()).isEqualTo(requests);
            assertThat(l.get("errors").asInt()).isZero();
            assertThat(l.get("rejected").asInt()).isZero();
            assertThat(l.get("tokens").asLong()).isEqualTo(5L * requests);
            assertThat(l.get("tokens_per_s").asDouble()).isPositive();
            assertThat(l.get("ttft_ms").get("count").asInt()).isEqualTo(requests);
            assertThat(l.get("itl_ms").get("count").asInt()).isEqualTo(4 * requests);
            assertThat(l.get("latency_ms").get("count").asInt()).isEqualTo(requests);
            for (String metric : List.of("ttft_ms", "itl_ms", "latency_ms")) {
                assertThat(l.get(metric).get("p50").asDouble()).isNotNegative();
                assertThat(l.get(metric).get("p99").asDouble()).isGreaterThanOrEqualTo(l.get(metric).get("p50").asDouble());
            }
        }
        assertThat(bodies).hasSize(2 + 2 + 6);  // the warm-up, then both levels
        assertThat(bodies).allSatisfy(b -> {
            assertThat(b.get("max_tokens").asInt()).isEqualTo(5);
            assertThat(b.get("temperature").asDouble()).isZero();
            assertThat(b.get("stream").asBoolean()).isTrue();
            assertThat(b.get("early_exit").get("policy").asText()).isEqualTo("confidence:threshold=0.5");
            assertThat(LoadCommand.DEFAULT_PROMPTS).contains(b.get("prompt").asText());
        });
    }

    @Test
    void a429IsRejectedNotAnErrorAndTheTableHasARowPerLevel(@TempDir Path dir) throws Exception {
        Path prompts = Files.writeString(dir.resolve("prompts.txt"), "first\n\nsecond\nplease reject\n");
        Output o = load("--url", url, "--streams", "1", "--requests-per-stream", "3", "--prompts", prompts.toString());
        assertThat(o.code).as(o.err).isZero();
        List<String> lines = o.out.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("| streams | requests | errors | rejected | tokens/s | TTFT p50 ms");
        assertThat(lines.get(2)).startsWith("| 1 | 3 | 0 | 1 | ");
        assertThat(o.err).contains("HTTP 429: {\"error\":{\"message\":\"busy\"");
        assertThat(bodies).noneSatisfy(b -> assertThat(b.has("early_exit")).isTrue());
    }

    @Test
    void badFlagsAreUsageErrors() throws Exception {
        assertUsage(load("--streams", "1"), "Missing required option: '--url=URL'");
        assertUsage(load("--url", url, "--bogus", "1"), "Unknown options: '--bogus', '1'");
        assertUsage(load("--url", url, "--streams", "1,0"), "--streams: expected an integer >= 1, found 0");
        assertUsage(load("--url", url, "--streams", "1,x"),
                "Invalid value for option '--streams' (N): 'x' is not an int");
        assertUsage(load("--url", url, "--max-tokens"), "Missing required parameter for option '--max-tokens' (N)");
        assertUsage(load("--url", url, "--early-exit", "[1]"), "--early-exit: expected a JSON object");
        assertUsage(load("--url", "ftp://x"), "--url: expected http://HOST:PORT, found ftp://x");
        assertThat(bodies).isEmpty();
    }

    @Test
    void progressShowsOnATerminalOnlyAndNeverWithJson() throws Exception {
        String[] args = {"load", "--url", url, "--streams", "2", "--requests-per-stream", "2", "--max-tokens", "5"};
        BenchCli.Run terminal = BenchCli.run(true, args);
        BenchCli.Run piped = BenchCli.run(false, args);
        BenchCli.Run json = BenchCli.run(true, concat("load", "--url", url, "--streams", "2", "--requests-per-stream",
                "2", "--json"));
        for (BenchCli.Run r : List.of(terminal, piped, json)) {
            assertThat(r.status()).as(r.err()).isZero();
        }
        assertThat(terminal.err()).contains("2 stream(s)").contains("4/4").contains("tok/s");
        assertThat(piped.err()).doesNotContain("\r").doesNotContain("tok/s");
        assertThat(json.err()).doesNotContain("\r").doesNotContain("tok/s");
        assertThat(terminal.out().replaceAll(" *[0-9.]+", " #")).isEqualTo(piped.out().replaceAll(" *[0-9.]+", " #"));
        assertThat(JSON.readTree(json.out()).get("levels").get(0).get("requests").asInt()).isEqualTo(4);
    }

    @Test
    void noServerFailsTheWarmUp() throws Exception {
        server.stop(0);
        Output o = load("--url", url, "--streams", "1", "--requests-per-stream", "1");
        assertThat(o.code).isEqualTo(1);
        assertThat(o.err).contains("warm-up request failed: no response from " + url);
    }

    private static void assertUsage(Output o, String message) {
        assertThat(o.code).isEqualTo(2);
        assertThat(o.err).contains(message).contains("Try 'offramp load --help' for usage.");
    }

    private record Output(int code, String out, String err) {}

    private static Output load(String... args) {
        BenchCli.Run r = BenchCli.run(concat("load", args));
        return new Output(r.status(), r.out(), r.err());
    }

    static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
