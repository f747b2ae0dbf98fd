package dev.offramp.server.http;

import static dev.offramp.server.http.ServerTest.CLIENT;
import static dev.offramp.server.http.ServerTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.tokenize.TextTokenizer;
import dev.offramp.policy.LayerSignals;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nothing a request sends stops the engine thread: a policy nested 3,000 deep once overflowed its stack there and
 * every later generation hung while /health said 200. Each test ends by checking that generation still works.
 */
class EngineResilienceTest {
    private static final String GOOD = "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}";
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void aPolicyNested3000DeepIsA400WithAShortMessageAndLaterRequestsAreServed() throws Exception {
        String policy = "all(".repeat(3000) + "confidence:threshold=0.5" + ")".repeat(3000);
        HttpResponse<String> r = post("{\"prompt\":\"a\",\"max_tokens\":2,\"early_exit\":{\"policy\":\"" + policy
                + "\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo("early_exit.policy");
        String message = error.get("message").asText();
        assertThat(message).contains("expected at most 4096 characters").hasSizeLessThan(200);

        String deep = "any(".repeat(500) + "confidence:threshold=0.5" + ")".repeat(500);
        r = post("{\"prompt\":\"a\",\"max_tokens\":2,\"early_exit\":{\"policy\":\"" + deep + "\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        message = JSON.readTree(r.body()).get("error").get("message").asText();
        assertThat(message).contains("nested deeper than 16 levels").hasSizeLessThan(200);

        assertServing(server.get());
    }

    @Test
    void aHugePromptIsRefusedFromAPrefixWithoutTokenizingItWhole() throws Exception {
        // stories260K's tokenizer merges in quadratic time: 875 KB of prompt once held a validation thread for minutes.
        try (Server roomy = new Server(new ServerConfig("127.0.0.1", 0, 2 << 20), new ModelWorker("stories260K.bin",
                () -> LoadedModel.open(ServerTest.MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU))).start()) {
            roomy.engine().awaitLoaded();
            String prompt = "Once upon a time there was a girl. ".repeat(25_000);
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri(roomy, "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\",\"max_tokens\":2}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).get("error").get("message").asText())
                    .startsWith("prompt: expected 1..512 tokens (the context length), found more than");
            assertServing(roomy);
        }
    }

    @Test
    void anErrorThrownForOneRequestOnTheEngineThreadFailsThatRequestOnly() throws Exception {
        CountDownLatch otherStreaming = new CountDownLatch(1);
        Job.Sink throwsOnceOthersRun = new Job.Sink() {
            @Override
            public void start() {}

            @Override
            public void token(int id, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                    String textDelta) {
                if (otherStreaming.getCount() == 0) {
                    throw new StackOverflowError("thrown by the test");
                }
            }
        };
        ClientRequest k = RequestReader.generate(Fields.of(new Json().read("{\"prompt\":\"Once\",\"max_tokens\":480}"), ""));
        Exchange ex = new Exchange(new EmbeddedChannel(), new Json(), "bad-1",
                new Exchange.Framing(true, false, false, () -> {}), new byte[0], null,
                "/v1/generate", server.engine().metrics());
        Job bad = new Job(k, throwsOnceOthersRun, ex, ex.arrival());
        server.engine().submit(bad);

        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"stream\":true}";
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) {
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (seen.indexOf("data: ") >= 0) {
                    otherStreaming.countDown();
                }
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 200").contains("\"finish_reason\"")
                    .endsWith("data: [DONE]\n\n\r\n0\r\n\r\n").doesNotContain("\"error\"");
        }
        assertThatThrownBy(() -> bad.done().get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(StackOverflowError.class);
        assertServing(server.get());
    }

    @Test
    void anUnexpectedFailureIsA500ThatNamesNoJavaClass() {
        Errors.Mapped m = Errors.map(new StackOverflowError("deep inside"), "req-7");
        assertThat(m.status().code()).isEqualTo(500);
        assertThat(m.body().error().message()).doesNotContain("java").doesNotContain("StackOverflow")
                .doesNotContain("deep inside").contains("req-7");
        assertThat(m.body().error().type()).isEqualTo("server_error");
    }

    @Test
    void healthIs503OnceTheEngineThreadHasEnded() throws Exception {
        ModelWorker engine = new ModelWorker("dies", () -> {
            throw new StackOverflowError("the engine thread ends");
        });
        try (Server dead = new Server(new ServerConfig("127.0.0.1", 0, 1024), engine).start()) {
            assertThatThrownBy(engine::awaitLoaded).hasCauseInstanceOf(StackOverflowError.class);
            for (int i = 0; i < 3000 && engine.alive(); i++) {
                Thread.sleep(10);  // the thread ends right after failing the load
            }
            HttpResponse<String> health = get(dead, "/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("engine_stopped");
            assertThat(get(dead, "/ready").statusCode()).isEqualTo(503);
            HttpResponse<String> refused = CLIENT.send(HttpRequest.newBuilder(uri(dead, "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(refused.body()).get("error").get("code").asText()).isEqualTo("model_unavailable");
        }
    }

    /** A generation and /health still answer 200. */
    static void assertServing(Server s) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri(s, "/v1/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode usage = JSON.readTree(r.body()).get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isPositive();
        assertThat(get(s, "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void largeBodiesAreValidatedOneAtATimeOnTheirOwnLaneWhileSmallOnesGoOn() throws Exception {
        java.util.concurrent.Executor large = server.engine().validation(ModelWorker.LARGE_BODY_BYTES + 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch largeDone = new CountDownLatch(2);
        java.util.concurrent.atomic.AtomicInteger inLarge = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < 2; i++) {
            large.execute(() -> {
                most.accumulateAndGet(inLarge.incrementAndGet(), Math::max);
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inLarge.decrementAndGet();
                largeDone.countDown();
            });
        }
        // While the large lane is taken, small bodies are validated and answered on theirs.
        CountDownLatch small = new CountDownLatch(1);
        server.engine().validation(ModelWorker.LARGE_BODY_BYTES).execute(small::countDown);
        assertThat(small.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(post(GOOD).statusCode()).isEqualTo(200);
        assertThat(largeDone.getCount()).as("the large lane is still held").isEqualTo(2);
        release.countDown();
        assertThat(largeDone.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(most.get()).as("one large body at a time").isEqualTo(1);
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(server.get(), "/v1/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(Server s, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(s, path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(Server s, String path) {
        return URI.create("http://127.0.0.1:" + s.port() + path);
    }
}
