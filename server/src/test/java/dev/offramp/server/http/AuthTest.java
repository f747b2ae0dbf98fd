package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With API keys, /v1/* needs {@code Authorization: Bearer KEY}: 401 with OpenAI's error body otherwise. */
class AuthTest {
    private static final String GOOD = "{\"prompt\":\"Once upon a time\",\"max_tokens\":2}";
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerTest.stories(new ServerConfig("127.0.0.1", 0, 64 * 1024, ServerConfig.Timeouts.DEFAULT,
                ApiKeys.of(List.of("sk-first-key", "sk-second-key"), false)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void withoutAKeyOrWithAWrongOneA401ThatNamesNoKey() throws Exception {
        for (String authorization : new String[] {null, "Bearer sk-wrong", "Bearer sk-first-ke", "Basic c2stZmlyc3Q=",
                "Bearer ", "sk-first-key"}) {
            HttpResponse<String> r = post("/v1/completions", GOOD, authorization);
            assertThat(r.statusCode()).as(authorization).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer");
            JsonNode error = ServerTest.JSON.readTree(r.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(r.body()).doesNotContain("sk-");
        }
        // Every /v1 path, known or not: without a key nothing tells which exist.
        assertThat(get("/v1/models", null).statusCode()).isEqualTo(401);
        assertThat(post("/v1/nothing", GOOD, null).statusCode()).isEqualTo(401);
    }

    @Test
    void eitherKeyIsAcceptedAndProbesAndMetricsStayOpen() throws Exception {
        assertThat(post("/v1/completions", GOOD, "Bearer sk-first-key").statusCode()).isEqualTo(200);
        assertThat(post("/v1/completions", GOOD, "bearer sk-second-key").statusCode()).isEqualTo(200);
        assertThat(get("/v1/models", "Bearer sk-second-key").statusCode()).isEqualTo(200);
        for (String open : new String[] {"/health", "/ready", "/metrics"}) {
            assertThat(get(open, null).statusCode()).as(open).isEqualTo(200);
        }
    }

    @Test
    void keysAreKeptAsDigestsAndCanCoverEveryRoute(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "# rotated monthly\nsk-from-file-1\n\n  sk-from-file-2  \n");
        ApiKeys keys = ApiKeys.of(ApiKeys.readFile(file), true);
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.toString()).isEqualTo("ApiKeys[2 keys, every route]").doesNotContain("sk-");
        assertThat(keys.required("/metrics")).isTrue();
        assertThat(keys.accepts("Bearer sk-from-file-2")).isTrue();
        assertThat(keys.accepts("Bearer sk-from-file-3")).isFalse();
        assertThat(ApiKeys.of(List.of("sk-x"), false).required("/health")).isFalse();
        assertThat(ApiKeys.NONE.required("/v1/completions")).isFalse();
    }

    private static HttpResponse<String> post(String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(EngineResilienceTest.uri(server, path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return ServerTest.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(EngineResilienceTest.uri(server, path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return ServerTest.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
