package dev.offramp.server.http;

import static dev.offramp.server.http.ServerTest.CLIENT;
import static dev.offramp.server.http.ServerTest.JSON;
import static dev.offramp.server.http.ServerTest.uri;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad requests beyond the table: a client leaving mid-stream, {@code /ready} before the model loads, a UTF-8 charset
 * accepted. The table of malformed requests, each with its exact 4xx and field, is {@link BadInputMatrixTest}.
 */
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
        ModelWorker engine = new ModelWorker("late", ServerTest.loadedAfter(release));
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
