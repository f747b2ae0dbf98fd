package dev.offramp.server.http;

import static dev.offramp.server.http.ServerTest.CLIENT;
import static dev.offramp.server.http.ServerTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop on kjv-ee-12l (slow enough that requests are in flight when the drain begins): once it was the event
 * loops that closed first, cutting streams with no final event and whole responses with no bytes.
 */
class DrainTest {
    @Test
    void aDrainRefusesNewWorkAndLetsWhatWasAcceptedFinish() throws Exception {
        try (Server server = kjv()) {
            CompletableFuture<String> stream = CompletableFuture.supplyAsync(
                    () -> streamed(server, "{\"prompt\":\"And God said\",\"max_tokens\":120,\"stream\":true}"));
            CompletableFuture<HttpResponse<String>> whole = CLIENT.sendAsync(post(server,
                    "{\"prompt\":\"In the beginning\",\"max_tokens\":60}"), HttpResponse.BodyHandlers.ofString());
            awaitRunning(server, 2);

            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> drain(server, Duration.ofSeconds(120)));
            for (int i = 0; i < 3000 && server.engine().ready(); i++) {
                Thread.sleep(1);
            }
            HttpResponse<String> ready = EngineResilienceTest.get(server, "/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(ready.body()).get("status").asText()).isEqualTo("draining");
            HttpResponse<String> refused = CLIENT.send(post(server, "{\"prompt\":\"Blessed\",\"max_tokens\":4}"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            JsonNode error = JSON.readTree(refused.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("shutting_down");
            assertThat(error.get("message").asText()).isEqualTo("the server is shutting down");

            HttpResponse<String> done = whole.get(120, TimeUnit.SECONDS);
            assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
            assertThat(JSON.readTree(done.body()).get("usage").get("completion_tokens").asInt()).isEqualTo(60);
            String events = stream.get(120, TimeUnit.SECONDS);
            assertThat(events).contains("\"finish_reason\":\"length\"").doesNotContain("\"error\"")
                    .contains("data: [DONE]");
            drain.get(120, TimeUnit.SECONDS);
        }
    }

    @Test
    void whatCannotFinishInTheDrainTimeoutEndsWithAnErrorEventAndDoneOrA503() throws Exception {
        try (Server server = kjv()) {
            CompletableFuture<String> stream = CompletableFuture.supplyAsync(
                    () -> streamed(server, "{\"prompt\":\"And God said\",\"max_tokens\":500,\"stream\":true}"));
            CompletableFuture<HttpResponse<String>> whole = CLIENT.sendAsync(post(server,
                    "{\"prompt\":\"In the beginning\",\"max_tokens\":500}"), HttpResponse.BodyHandlers.ofString());
            awaitRunning(server, 2);

            drain(server, Duration.ZERO);

            String events = stream.get(60, TimeUnit.SECONDS);
            assertThat(events).startsWith("HTTP/1.1 200")
                    .contains("data: {\"error\":{\"message\":\"the server is shutting down\"")
                    .contains("\"code\":\"shutting_down\"").contains("data: [DONE]\n\n");
            HttpResponse<String> cut = whole.get(60, TimeUnit.SECONDS);
            assertThat(cut.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(cut.body()).get("error").get("code").asText()).isEqualTo("shutting_down");
        }
    }

    private static Server kjv() throws Exception {
        ModelWorker engine = new ModelWorker("kjv-ee-12l", () -> LoadedModel.open(SchedulingTest.KJV, null,
                DjlRuntime.start(1), DeviceChoice.CPU), ChatTemplate.plain(), ModelWorker.Limits.DEFAULT,
                dev.offramp.model.engine.ModeOptions.NONE, null);
        Server server = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024), engine).start();
        engine.awaitLoaded();
        return server;
    }

    private static void drain(Server server, Duration timeout) {
        try {
            server.drain(timeout);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitRunning(Server server, int n) throws InterruptedException {
        for (int i = 0; i < 6000 && server.engine().running() < n; i++) {
            Thread.sleep(5);
        }
        assertThat(server.engine().running()).isEqualTo(n);
    }

    private static HttpRequest post(Server server, String body) {
        return HttpRequest.newBuilder(EngineResilienceTest.uri(server, "/v1/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** The raw response of a streamed request, read until the server closes the connection. */
    static String streamed(Server server, String body) {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
