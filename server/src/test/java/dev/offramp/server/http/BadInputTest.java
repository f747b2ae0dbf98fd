package dev.offramp.server.http;

import static dev.offramp.server.http.ServerTest.CLIENT;
import static dev.offramp.server.http.ServerTest.JSON;
import static dev.offramp.server.http.ServerTest.uri;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad request gets a clear 4xx with the error body, and the server keeps serving after each. */
class BadInputTest {
    private static final String GOOD = "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}";

    @BeforeAll
    static void start() throws Exception {
        ServerTest.start();
    }

    @AfterAll
    static void stop() {
        ServerTest.stop();
    }

    static Stream<Arguments> cases() {
        String big = "x".repeat(2000);
        return Stream.of(
                Arguments.of("POST", "/v1/completions", "{\"prompt\":", 400, "malformed JSON"),
                Arguments.of("POST", "/v1/completions", "[1,2]", 400, "expected a JSON object"),
                Arguments.of("POST", "/v1/completions", "", 400, "expected a JSON object"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\"} x", 400, "malformed JSON"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":5}", 400, "prompt: expected a string"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":\"5\"}", 400,
                        "max_tokens: expected an integer"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2.5}", 400,
                        "max_tokens: expected an integer"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"stream\":\"yes\"}", 400,
                        "stream: expected true or false"),
                Arguments.of("POST", "/v1/completions", "{\"max_tokens\":5}", 400, "prompt"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"\"}", 400, "empty"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"" + big + "\"}", 400, "context length"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":0}", 400, "max_tokens"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":-3}", 400, "max_tokens"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":100000}", 400,
                        "max_tokens: expected at most"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"temperature\":-0.5}", 400,
                        "temperature"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"n\":2}", 400, "n: only 1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"frobnicate\":1}", 400,
                        "frobnicate: unknown field"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"model\":\"gpt-4\"}", 404, "gpt-4"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"warp\"}}",
                        400, "mode: expected one of"),
                Arguments.of("POST", "/v1/completions",
                        "{\"prompt\":\"a\",\"early_exit\":{\"policy\":\"bogus:threshold=0.5\"}}", 400, "bogus"),
                Arguments.of("POST", "/v1/completions",
                        "{\"prompt\":\"a\",\"early_exit\":{\"policy\":\"confidence:threshold=1.5\"}}", 400,
                        "threshold"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"layer\":2}}", 400,
                        "early_exit.layer: unknown field"),
                Arguments.of("POST", "/v1/completions",
                        "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"static\",\"exit_layer\":9}}", 400,
                        "early_exit.exit_layer: expected 1..5 (the model's layers), found 9"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":5}", 400,
                        "early_exit: expected a JSON object"),
                Arguments.of("POST", "/v1/generate", "{\"prompt_ids\":[1,\"x\"]}", 400,
                        "prompt_ids: expected an array of integers"),
                Arguments.of("POST", "/v1/generate", "{\"prompt_ids\":[1,99999]}", 400, "prompt_ids: expected ids"),
                Arguments.of("POST", "/v1/generate", "{\"prompt\":\"a\",\"prompt_ids\":[1]}", 400, "not both"),
                Arguments.of("POST", "/v1/generate", "{\"prompt\":\"a\",\"stop\":5}", 400, "stop: expected"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"top_p\":0}", 400, "top_p"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"top_p\":1.5}", 400, "top_p"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"top_k\":-1}", 400, "top_k"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"stream_options\":"
                        + "{\"include_usage\":true}}", 400, "stream_options: expected only with stream"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":"
                        + "{\"x\":1}}", 400, "stream_options.x: unknown field"),
                Arguments.of("POST", "/v1/chat/completions", "{\"max_tokens\":5}", 400, "messages: expected an array"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[]}", 400, "messages: expected at least"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        + "\"max_completion_tokens\":0}", 400, "max_completion_tokens: expected >= 1"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        + "\"max_completion_tokens\":100000}", 400, "max_completion_tokens: expected at most"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"top_k\":1000000}", 400,
                        "top_k: expected 0 (off) .. 512 (the vocabulary), found 1000000"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"temperature\":1e9}", 400,
                        "temperature: expected a number in [0, 2.0], found 1.0E9"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"policy\":"
                        + "\"margin:threshold=0.1\",\"prune\":1000000}}", 400,
                        "early_exit.prune: expected 0 (off) .. 512 (the vocabulary), found 1000000"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"prune\":-1}}", 400,
                        "early_exit.prune: expected 0 (off)"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":"
                        + "\"self-speculative\",\"exit_layer\":2,\"draft\":1000000}}", 400,
                        "early_exit.draft: expected 1..32 tokens, found 1000000"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":"
                        + "\"self-speculative\",\"exit_layer\":2,\"draft_stop\":1.5}}", 400,
                        "early_exit.draft_stop: expected a number in [0, 1]"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"skip\","
                        + "\"speedup\":1e9}}", 400, "early_exit.speedup: expected 1..5 (the model's layers)"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"skip\","
                        + "\"speedup\":0.5}}", 400, "early_exit.speedup: expected a number >= 1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"static\","
                        + "\"exit_layer\":0}}", 400, "early_exit.exit_layer: expected >= 1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"user\":{\"id\":1}}", 400,
                        "user: expected a string, found an object"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"prompt\":\"b\"}", 400,
                        "malformed JSON: Duplicate field 'prompt'"),
                Arguments.of("POST", "/v1/completions", "[".repeat(5000) + "]".repeat(5000), 400,
                        "malformed JSON: nested too deep"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"stop\":[\"" + "s".repeat(300) + "\"]}",
                        400, "stop: expected up to 4 non-empty strings of at most 256 characters, found 1 of [300]"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\""
                        + "m".repeat(30_000) + "\"}}", 400, "mode: expected one of"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":\"hi\"}", 400,
                        "messages: expected an array"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}",
                        400, "messages[0].role: expected one of"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
                        400, "messages[0].content: expected a string or an array of text parts"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                        + "[{\"type\":\"image_url\",\"image_url\":{}}]}]}", 400, "messages[0].content[0].image_url"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                        + "{\"role\":\"assistant\",\"content\":\"y\"}]}", 400, "messages[1].role"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        + "\"n\":3}", 400, "n: only 1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"a\",\"early_exit\":{\"mode\":\"cascade\"}}",
                        400, "cascade is not configured on this server"),
                Arguments.of("POST", "/v1/nothing", GOOD, 404, "no route"),
                Arguments.of("GET", "/v1/completions", null, 405, "method not allowed"),
                Arguments.of("DELETE", "/health", null, 405, "method not allowed"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\":\"" + "y".repeat(70_000) + "\"}", 413,
                        "at most 65536 bytes"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @MethodSource("cases")
    void answeredWithTheErrorBodyAndTheServerGoesOn(String method, String path, String body, int status,
                                                   String message) throws Exception {
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri(path)).method(method, p)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(r, status, message);
        if (status == 405) {
            assertThat(r.headers().firstValue("Allow")).isPresent();
        }
        assertThat(ServerTest.post("/v1/completions", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyThatIsNotJsonIsA415AndADuplicatedHeaderA400() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 415, "Content-Type: expected application/json (UTF-8), found 'text/plain'");
        r = CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions"))
                .header("Content-Type", "application/json; charset=latin1")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(r, 415, "Content-Type: expected application/json (UTF-8)");
        r = CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions")).header("Content-Type", "application/json")
                .header("X-Latency-Budget-Ms", "500").header("X-Latency-Budget-Ms", "90000")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(r, 400, "X-Latency-Budget-Ms: expected one header, found 2");
        r = CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions"))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void nonUtf8BodyIsA400() throws Exception {
        byte[] bad = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bad)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(r, 400, "UTF-8");
        assertThat(ServerTest.post("/v1/completions", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void clientClosingMidStreamStopsItsGenerationAndTheServerGoesOn() throws Exception {
        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"stream\":true}";
        try (Socket s = new Socket("127.0.0.1", ServerTest.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[256];
            while (countOf(seen, "data: ") < 3) {
                int n = in.read(buf);
                assertThat(n).isPositive();
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 200").contains("text/event-stream");
        }
        long t0 = System.nanoTime();
        assertThat(ServerTest.post("/v1/completions", GOOD).statusCode()).isEqualTo(200);
        assertThat(ServerTest.get("/health").statusCode()).isEqualTo(200);
        // 400 tokens of stories260K take a while; the next request did not wait for all of them.
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    void readyIs503UntilTheModelHasLoaded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Engine engine = new Engine("late", () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return LoadedModel.open(ServerTest.MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU);
        });
        try (Server late = new Server(new ServerConfig("127.0.0.1", 0, 1024), engine).start()) {
            URIs u = new URIs(late.port());
            assertThat(CLIENT.send(HttpRequest.newBuilder(u.of("/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
            assertThat(CLIENT.send(HttpRequest.newBuilder(u.of("/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            release.countDown();
            engine.awaitLoaded();
            assertThat(CLIENT.send(HttpRequest.newBuilder(u.of("/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    private record URIs(int port) {
        java.net.URI of(String path) {
            return java.net.URI.create("http://127.0.0.1:" + port + path);
        }
    }

    private static int countOf(CharSequence s, String what) {
        return s.toString().split(what, -1).length - 1;
    }

    private static void assertError(HttpResponse<String> r, int status, String message) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("message").asText()).contains(message).hasSizeLessThanOrEqualTo(Errors.MAX_MESSAGE)
                .doesNotContain("java.").doesNotContain("Exception");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }
}
