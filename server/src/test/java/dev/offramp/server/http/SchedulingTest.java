package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admission, cancellation and latency budgets on kjv-ee-12l (12 layers, slow enough that a long stream is still
 * running while the test acts), with room for 2 running and 1 waiting request.
 */
public class SchedulingTest {
    static final Path KJV = Path.of("../../shared/models/kjv-ee-12l");
    static final String LONG = "{\"prompt\":\"And God said\",\"max_tokens\":300,\"stream\":true}";
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        ModelWorker engine = new ModelWorker("kjv-ee-12l", () -> LoadedModel.open(KJV, null, DjlRuntime.start(1),
                DeviceChoice.CPU), ChatTemplate.plain(), new ModelWorker.Limits(2, 1, 3, Duration.ofSeconds(30)),
                dev.offramp.model.engine.ModeOptions.NONE, null);
        server = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024), engine).start();
        engine.awaitLoaded();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void idle() throws Exception {
        awaitMetric("offramp_requests_running", v -> v == 0);
        awaitMetric("offramp_requests_waiting", v -> v == 0);
    }

    @Test
    void beyondRunningAndWaitingLimitsA429AndNothingAcceptedIsLost() throws Exception {
        int idleArrays = server.engine().awaitLoaded().transformer().liveArrays();
        double cancelled = metric("offramp_requests_cancelled_total{model=\"kjv-ee-12l\",reason=\"client_disconnected\"}");
        try (Socket a = stream(LONG); Socket b = stream(LONG)) {
            awaitMetric("offramp_requests_running", v -> v == 2);
            assertThat(metric("offramp_kv_cache_usage_ratio")).isPositive();
            CompletableFuture<HttpResponse<String>> queued = ServerTest.CLIENT.sendAsync(
                    request("/v1/completions", "{\"prompt\":\"In the beginning\",\"max_tokens\":5}").build(),
                    HttpResponse.BodyHandlers.ofString());
            awaitMetric("offramp_requests_waiting", v -> v == 1);

            HttpResponse<String> refused = ServerTest.send(request("/v1/completions",
                    "{\"prompt\":\"Blessed\",\"max_tokens\":5}"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            JsonNode error = ServerTest.JSON.readTree(refused.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("overloaded");
            assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
            assertThat(metric("offramp_requests_rejected_total{model=\"kjv-ee-12l\",reason=\"queue_full\"}"))
                    .isEqualTo(1);
            assertThat(queued.isDone()).as("the waiting request waits").isFalse();

            a.close();  // a place frees: the waiting request joins and is served in full
            HttpResponse<String> served = queued.get();
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            assertThat(ServerTest.JSON.readTree(served.body()).get("usage").get("completion_tokens").asInt())
                    .isEqualTo(5);
        }
        awaitMetric("offramp_requests_running", v -> v == 0);
        assertThat(metric("offramp_requests_cancelled_total{model=\"kjv-ee-12l\",reason=\"client_disconnected\"}"))
                .isEqualTo(cancelled + 2);
        assertThat(metric("offramp_kv_cache_usage_ratio")).isZero();
        assertThat(server.engine().awaitLoaded().transformer().liveArrays())
                .as("the cancelled requests' KV caches were freed").isEqualTo(idleArrays);
    }

    @Test
    void aTightBudgetGoesShallowerThanNoneAndSaysWhetherItWasMet() throws Exception {
        String body = "{\"prompt\":\"And God said\",\"max_tokens\":40}";
        JsonNode free = ServerTest.JSON.readTree(ServerTest.send(request("/v1/generate", body)).body());
        HttpResponse<String> tight = ServerTest.send(request("/v1/generate", body)
                .header("X-Latency-Budget-Ms", "25"));
        assertThat(tight.statusCode()).as(tight.body()).isEqualTo(200);
        JsonNode capped = ServerTest.JSON.readTree(tight.body());
        assertThat(capped.get("tokens")).hasSize(free.get("tokens").size());
        assertThat(capped.get("layers_computed").asLong()).isLessThan(free.get("layers_computed").asLong());
        double meanExit = 0;
        for (JsonNode t : capped.get("tokens")) {
            meanExit += t.get("exit_layer").asInt();
            assertThat(t.get("exit_layer").asInt()).as("never below the configured shallowest depth")
                    .isGreaterThanOrEqualTo(3);
        }
        assertThat(meanExit / capped.get("tokens").size()).isLessThan(12);
        String outcome = capped.get("latency_budget").get("outcome").asText();
        assertThat(outcome).isIn("met", "missed");
        assertThat(tight.headers().firstValue("X-Latency-Budget-Outcome")).contains(outcome);
        assertThat(capped.get("latency_budget").get("budget_ms").asLong()).isEqualTo(25);
        assertThat(free.has("latency_budget")).as("no budget, no outcome").isFalse();

        HttpResponse<String> loose = ServerTest.send(request("/v1/completions",
                "{\"prompt\":\"And God said\",\"max_tokens\":5,\"stream\":true}")
                .header("x-envoy-expected-rq-timeout-ms", "60000"));
        java.util.List<String> events = ServerTest.events(loose.body());
        JsonNode last = ServerTest.JSON.readTree(events.get(events.size() - 2));
        assertThat(last.get("latency_budget").get("outcome").asText()).as("a minute for 5 tokens").isEqualTo("met");
        assertThat(metric("offramp_budget_outcome_total{model=\"kjv-ee-12l\",outcome=\"met\"}")).isPositive();
    }

    @Test
    void aBudgetToCutEndsTheRequestAtItsDeadlineWholeOrStreamed() throws Exception {
        String longBody = "{\"prompt\":\"And God said\",\"max_tokens\":300}";
        HttpResponse<String> whole = ServerTest.send(request("/v1/generate", longBody)
                .header("X-Latency-Budget-Ms", "150").header("X-Latency-Budget-Policy", "cut"));
        assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
        JsonNode trace = ServerTest.JSON.readTree(whole.body());
        assertThat(trace.get("finish_reason").asText()).isEqualTo("deadline");
        assertThat(trace.get("tokens").size()).as("cut short of max_tokens").isLessThan(300)
                .isEqualTo(trace.get("usage").get("completion_tokens").asInt());
        assertThat(trace.get("latency_budget").get("outcome").asText()).isEqualTo("missed");
        assertThat(whole.headers().firstValue("X-Latency-Budget-Outcome")).contains("missed");
        JsonNode t = trace.get("timing");
        assertThat(t.get("queue_ms").asDouble() + t.get("prefill_ms").asDouble() + t.get("decode_ms").asDouble())
                .as("not cut before its deadline").isGreaterThanOrEqualTo(150);

        HttpResponse<String> streamed = ServerTest.send(request("/v1/completions",
                "{\"prompt\":\"And God said\",\"max_tokens\":300,\"stream\":true}")
                .header("X-Latency-Budget-Ms", "150").header("X-Latency-Budget-Policy", "CUT"));
        assertThat(streamed.statusCode()).isEqualTo(200);
        java.util.List<String> events = ServerTest.events(streamed.body());
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode last = ServerTest.JSON.readTree(events.get(events.size() - 2));
        assertThat(last.get("choices").get(0).get("finish_reason").asText()).isEqualTo("deadline");
        assertThat(last.get("latency_budget").get("outcome").asText()).isEqualTo("missed");
        assertThat(events.size()).as("fewer chunks than 300 tokens").isLessThan(300);

        HttpResponse<String> traced = ServerTest.send(request("/v1/generate",
                "{\"prompt\":\"And God said\",\"max_tokens\":300,\"stream\":true}")
                .header("X-Latency-Budget-Ms", "150").header("X-Latency-Budget-Policy", "cut"));
        java.util.List<String> steps = ServerTest.events(traced.body());
        JsonNode end = ServerTest.JSON.readTree(steps.get(steps.size() - 2));
        assertThat(end.get("finish_reason").asText()).isEqualTo("deadline");
        assertThat(end.get("tokens").size()).isLessThan(300).isEqualTo(steps.size() - 2);

        HttpResponse<String> chat = ServerTest.send(request("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"And God said\"}],\"max_tokens\":300}")
                .header("X-Latency-Budget-Ms", "150").header("X-Latency-Budget-Policy", "cut"));
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        JsonNode answer = ServerTest.JSON.readTree(chat.body());
        assertThat(answer.get("choices").get(0).get("finish_reason").asText()).isEqualTo("deadline");
        assertThat(answer.get("usage").get("completion_tokens").asInt()).isLessThan(300);
        assertThat(metric("offramp_budget_outcome_total{model=\"kjv-ee-12l\",outcome=\"missed\"}"))
                .isGreaterThanOrEqualTo(3);
    }

    @Test
    void aBudgetToServeOrWithoutAPolicyIsServedInFull() throws Exception {
        for (String policy : new String[] {"serve", null}) {
            var b = request("/v1/generate", "{\"prompt\":\"And God said\",\"max_tokens\":40}")
                    .header("X-Latency-Budget-Ms", "10");
            HttpResponse<String> r = ServerTest.send(policy == null ? b
                    : b.header("X-Latency-Budget-Policy", policy));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode trace = ServerTest.JSON.readTree(r.body());
            assertThat(trace.get("finish_reason").asText()).as(policy).isEqualTo("length");
            assertThat(trace.get("tokens")).hasSize(40);
            assertThat(trace.get("latency_budget").get("outcome").asText()).as("40 tokens in 10 ms")
                    .isEqualTo("missed");
        }
    }

    @Test
    void aPolicyOtherThanCutOrServeOrSentTwiceIsA400NamingTheHeader() throws Exception {
        for (String bad : new String[] {"stop", "", "cut,serve"}) {
            HttpResponse<String> r = ServerTest.send(request("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}")
                    .header("X-Latency-Budget-Ms", "500").header("X-Latency-Budget-Policy", bad));
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            JsonNode e = ServerTest.JSON.readTree(r.body()).get("error");
            assertThat(e.get("param").asText()).isEqualTo("X-Latency-Budget-Policy");
            assertThat(e.get("message").asText()).isEqualTo("X-Latency-Budget-Policy: expected cut or serve, found '"
                    + bad + "'");
        }
        HttpResponse<String> twice = ServerTest.send(request("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}")
                .header("X-Latency-Budget-Ms", "500").header("X-Latency-Budget-Policy", "cut")
                .header("X-Latency-Budget-Policy", "serve"));
        assertThat(twice.statusCode()).isEqualTo(400);
        assertThat(ServerTest.JSON.readTree(twice.body()).get("error").get("message").asText())
                .isEqualTo("X-Latency-Budget-Policy: expected one header, found 2");
    }

    @Test
    void aBudgetHeaderThatIsNotAPositiveIntegerIsA400() throws Exception {
        for (String bad : new String[] {"0", "-5", "soon", "1.5", "99999999999999"}) {
            HttpResponse<String> r = ServerTest.send(request("/v1/completions",
                    "{\"prompt\":\"a\",\"max_tokens\":2}").header("X-Latency-Budget-Ms", bad));
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            JsonNode e = ServerTest.JSON.readTree(r.body()).get("error");
            assertThat(e.get("param").asText()).isEqualTo("X-Latency-Budget-Ms");
            assertThat(e.get("message").asText()).contains("expected a positive integer of milliseconds");
        }
        assertThat(ServerTest.send(request("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}")
                .header("x-envoy-expected-rq-timeout-ms", "x")).statusCode()).isEqualTo(400);
        assertThat(ServerTest.send(request("/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void aClientThatStopsReadingDoesNotStopOthersAndLosesNothing() throws Exception {
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(1024);  // a small window: the server's writes back up sooner
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            byte[] body = LONG.getBytes(StandardCharsets.UTF_8);
            slow.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            slow.getOutputStream().write(body);
            slow.getOutputStream().flush();
            awaitMetric("offramp_requests_running", v -> v == 1);
            for (int i = 0; i < 3; i++) {  // served while the slow client reads nothing
                HttpResponse<String> r = ServerTest.send(request("/v1/completions",
                        "{\"prompt\":\"In the beginning\",\"max_tokens\":8}"));
                assertThat(r.statusCode()).isEqualTo(200);
            }
            slow.setSoTimeout(60_000);
            String all = readUntil(slow.getInputStream(), "data: [DONE]");
            assertThat(all).startsWith("HTTP/1.1 200").contains("\"finish_reason\":\"");
            assertThat(all.split("\ndata: ").length).as("every token's event arrived").isGreaterThan(10);
        }
    }

    static Socket stream(String body) throws Exception {
        return stream(server.port(), body);
    }

    /** Starts a streamed completion on a raw socket and reads until its first token has arrived. */
    public static Socket stream(int port, String body) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[256];
        while (!seen.toString().contains("data: ")) {
            int n = in.read(buf);
            assertThat(n).isPositive();
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return s;
    }

    static String readUntil(InputStream in, String marker) throws Exception {
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[4096];
        while (seen.indexOf(marker) < 0) {
            int n = in.read(buf);
            assertThat(n).as("the stream ended before " + marker).isPositive();
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return seen.toString();
    }

    static HttpRequest.Builder request(String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** A sample's value in a scrape: the line starting with {@code series} (name, or name{labels}). */
    static double metric(String series) throws Exception {
        String scrape = ServerTest.CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ") || !series.contains("{") && line.startsWith(series + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;  // a counter with no sample yet
    }

    interface Check {
        boolean test(double v);
    }

    static void awaitMetric(String series, Check check) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!check.test(metric(series))) {
            assertThat(System.nanoTime()).as("waiting for " + series).isLessThan(end);
            Thread.sleep(20);
        }
    }
}
