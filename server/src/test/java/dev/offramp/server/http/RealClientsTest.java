package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.ExternalTools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against the server on a real socket: the official {@code openai} npm client
 * ({@code server/src/test/node/openai-client.mjs}) and Prometheus's {@code promtool check metrics} on a scrape taken
 * after traffic. A missing tool skips its test, unless {@code OFFRAMP_REQUIRE_CLIENTS=1} (system property or
 * environment variable; CI sets it), where it fails.
 */
class RealClientsTest {
    static final String MODEL_ID = "stories260K.bin";
    static final String SCRIPT = "server/src/test/node/openai-client.mjs";
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void openaiClient(@TempDir Path tmp) throws Exception {
        Path root = ExternalTools.repositoryRoot();
        Path node = ExternalTools.requireTool(ExternalTools.onPath("node"), "node (Node.js 20+)", "apt-get install nodejs npm");
        ExternalTools.requireTool(Optional.of(root.resolve("server/src/test/node/node_modules/openai/package.json"))
                .filter(Files::isRegularFile), "the openai npm client", "npm ci --prefix server/src/test/node");

        ExternalTools.Run run = ExternalTools.Run.of(List.of(node.toString(), root.resolve(SCRIPT).toString(),
                "http://127.0.0.1:" + server.port() + "/v1", MODEL_ID), root, null, tmp.resolve("openai.out"), 120);

        assertThat(run.exit()).as("%s exited %d:%n%s", SCRIPT, run.exit(), run.output()).isZero();
        assertThat(run.output()).as(run.output()).contains("{\"check\":\"all\",\"ok\":true}");
    }

    @Test
    void promtoolAcceptsMetricsAfterTraffic(@TempDir Path tmp) throws Exception {
        Path promtool = ExternalTools.requireTool(ExternalTools.onPath("promtool"), "promtool (Prometheus)", "apt-get install prometheus");

        HttpResponse<String> plain = post("{\"model\":\"" + MODEL_ID + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}");
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        HttpResponse<String> streamed = post("{\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"stream\":true}");
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
        assertThat(streamed.body()).contains("data: [DONE]");
        HttpResponse<String> bad = post("{\"prompt\":\"Once upon a time\",\"max_tokens\":0}");
        assertThat(bad.statusCode()).as(bad.body()).isBetween(400, 499);

        // The classic text format is what promtool parses; Prometheus itself also accepts it.
        HttpResponse<String> scrape = CLIENT.send(HttpRequest.newBuilder(uri("/metrics"))
                .header("Accept", "text/plain;version=0.0.4").timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).as("GET /metrics: %s", scrape.body()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        String metrics = scrape.body();

        Path file = tmp.resolve("metrics.txt");
        Files.writeString(file, metrics);
        ExternalTools.Run check = ExternalTools.Run.of(List.of(promtool.toString(), "check", "metrics"), tmp, file, tmp.resolve("promtool.out"), 60);
        assertThat(check.exit()).as("promtool check metrics exited %d:%n%s%n--- the scrape ---%n%s",
                check.exit(), check.output(), metrics).isZero();

        for (String name : List.of("offramp_requests_total", "offramp_time_to_first_token_seconds",
                "offramp_generation_tokens_total", "offramp_requests_running", "offramp_exit_layer",
                "jvm_memory_used_bytes", "process_cpu_usage")) {
            assertThat(hasSeries(metrics, name)).as("the scrape has %s:%n%s", name, metrics).isTrue();
        }
        assertThat(metrics).as("offramp_exit_layer is a histogram (ARCHITECTURE.md):%n%s", metrics)
                .containsPattern("(?m)^# TYPE offramp_exit_layer histogram$");
        assertThat(metrics).as("offramp_requests_total counts the 200s and the 4xx:%n%s", metrics)
                .containsPattern("(?m)^offramp_requests_total\\{[^}]*status=\"2")
                .containsPattern("(?m)^offramp_requests_total\\{[^}]*status=\"4");
    }

    /** A sample of metric family {@code name}: the name itself or one of its Prometheus suffixes, then labels or a value. */
    static boolean hasSeries(String metrics, String name) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + "(_total|_bucket|_count|_sum|_max|_created)?[{ ]")
                .matcher(metrics).find();
    }

    static HttpResponse<String> post(String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri("/v1/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
