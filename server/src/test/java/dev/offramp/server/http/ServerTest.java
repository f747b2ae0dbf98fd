package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server on a real socket (127.0.0.1, port 0) with the small stories260K model: every route, whole and streamed. */
class ServerTest {
    static final Path MODEL = Path.of("../../shared/models/stories260K/stories260K.bin");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Server server;
    static LoadedModel reference;

    @BeforeAll
    static void start() throws Exception {
        server = stories(new ServerConfig("127.0.0.1", 0, 64 * 1024));
        reference = LoadedModel.open(MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU);
    }

    /** A started server on stories260K with {@code config}, its model loaded: what the HTTP tests run against. */
    static Server stories(ServerConfig config) throws InterruptedException {
        Server s = new Server(config, new ModelWorker("stories260K.bin",
                () -> LoadedModel.open(MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU))).start();
        s.engine().awaitLoaded();
        return s;
    }

    /** stories260K, loaded only once {@code release} opens: a model still loading for as long as a test needs. */
    static java.util.function.Supplier<LoadedModel> loadedAfter(java.util.concurrent.CountDownLatch release) {
        return () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return LoadedModel.open(MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU);
        };
    }

    @AfterAll
    static void stop() {
        server.close();
        reference.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return CLIENT.send(b.timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** The data payloads of an SSE body, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (!block.isBlank()) {
                assertThat(block).startsWith("data: ");
                out.add(block.substring(6));
            }
        }
        return out;
    }

    @Test
    void healthReadyAndModels() throws Exception {
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("ok");
        assertThat(health.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(get("/ready").statusCode()).isEqualTo(200);
        JsonNode models = json(get("/v1/models"));
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asText()).isEqualTo("stories260K.bin");
        assertThat(models.get("data").get(0).get("object").asText()).isEqualTo("model");
        assertThat(models.get("data").get(0).get("exit_adapters").asBoolean()).isFalse();
    }

    @Test
    void requestIdIsEchoed() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri("/health")).header("X-Request-Id", "abc-123")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("X-Request-Id")).contains("abc-123");
        assertThat(post("/nope", "{}").headers().firstValue("X-Request-Id")).isPresent();
    }

    @Test
    void greedyCompletionEqualsTheGenerator() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time");
        GenerationResult expected = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(prompt, 40, 0f, 0L, new Mode.Full(), true));
        String text = reference.tokenizer().decode(expected.ids());

        HttpResponse<String> r = post("/v1/completions",
                "{\"model\":\"stories260K.bin\",\"prompt\":\"Once upon a time\",\"max_tokens\":40}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("id").asText()).startsWith("cmpl-");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(text);
        assertThat(choice.get("finish_reason").asText()).isEqualTo(expected.ids().length < 40 ? "stop" : "length");
        assertThat(choice.get("early_exit").get("layers_computed").asLong()).isEqualTo(expected.layersComputed());
        assertThat(choice.get("early_exit").get("mean_exit_layer").asDouble()).isEqualTo(5.0);
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(prompt.length);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(expected.ids().length);
        assertThat(body.get("usage").get("total_tokens").asInt()).isEqualTo(prompt.length + expected.ids().length);

        JsonNode gen = json(post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":40}"));
        List<Integer> ids = new ArrayList<>();
        gen.get("tokens").forEach(t -> ids.add(t.get("id").asInt()));
        assertThat(ids).containsExactly(java.util.Arrays.stream(expected.ids()).boxed().toArray(Integer[]::new));
        assertThat(gen.get("text").asText()).isEqualTo(text);
        assertThat(gen.get("tokens").get(0).get("exit_layer").asInt()).isEqualTo(5);
        assertThat(gen.get("timing").get("decode_ms").asDouble()).isPositive();
        assertThat(gen.get("layers_computed").asLong()).isEqualTo(expected.layersComputed());
    }

    @Test
    void nativeRouteTakesPromptIdsVerbatim() throws Exception {
        JsonNode gen = json(post("/v1/generate", "{\"prompt_ids\":[1,403,407],\"max_tokens\":5}"));
        GenerationResult expected = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(new int[] {1, 403, 407}, 5, 0f, 0L, new Mode.Full(), true));
        assertThat(gen.get("prompt_ids").toString()).isEqualTo("[1,403,407]");
        assertThat(gen.get("tokens").size()).isEqualTo(expected.ids().length);
        assertThat(gen.get("tokens").get(0).get("id").asInt()).isEqualTo(expected.ids()[0]);
    }

    @Test
    void streamedTextEqualsTheWholeText() throws Exception {
        String req = "{\"prompt\":\"Once upon a time\",\"max_tokens\":30,\"temperature\":0.8,\"seed\":7";
        JsonNode whole = json(post("/v1/completions", req + "}"));
        HttpResponse<String> r = post("/v1/completions",
                req + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        List<String> events = events(r.body());
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        JsonNode last = null;
        for (String e : events.subList(0, events.size() - 2)) {
            last = JSON.readTree(e);
            assertThat(last.get("object").asText()).isEqualTo("text_completion");
            assertThat(last.get("usage").isNull()).as("usage only in the last chunk").isTrue();
            text.append(last.get("choices").get(0).get("text").asText());
        }
        assertThat(events.size()).isGreaterThan(3);
        assertThat(text.toString()).isEqualTo(whole.get("choices").get(0).get("text").asText());
        assertThat(last.get("choices").get(0).get("finish_reason").asText())
                .isEqualTo(whole.get("choices").get(0).get("finish_reason").asText());
        JsonNode usage = JSON.readTree(events.get(events.size() - 2));
        assertThat(usage.get("choices")).as("include_usage: a last chunk with no choices").isEmpty();
        assertThat(usage.get("usage").get("completion_tokens").asInt())
                .isEqualTo(whole.get("usage").get("completion_tokens").asInt());
        List<String> plain = events(post("/v1/completions", req + ",\"stream\":true}").body());
        assertThat(JSON.readTree(plain.get(plain.size() - 2)).get("usage").isNull())
                .as("without include_usage no chunk carries usage").isTrue();
    }

    @Test
    void nativeStreamSendsEachTokenThenTheTrace() throws Exception {
        List<String> events = events(post("/v1/generate",
                "{\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"stream\":true}").body());
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode trace = JSON.readTree(events.get(events.size() - 2));
        assertThat(events).hasSize(trace.get("tokens").size() + 2);
        assertThat(JSON.readTree(events.get(0)).get("id").asInt()).isEqualTo(trace.get("tokens").get(0).get("id").asInt());
    }

    @Test
    void stopSequenceEndsTheTextBeforeIt() throws Exception {
        String base = "{\"prompt\":\"Once upon a time\",\"max_tokens\":60";
        String full = json(post("/v1/completions", base + "}")).get("choices").get(0).get("text").asText();
        int cut = full.indexOf(' ', 12);
        String stop = full.substring(cut, cut + 3);
        JsonNode r = json(post("/v1/completions", base + ",\"stop\":" + JSON.writeValueAsString(stop) + "}"));
        assertThat(r.get("choices").get(0).get("text").asText()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(r.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        List<String> events = events(post("/v1/completions",
                base + ",\"stream\":true,\"stop\":[" + JSON.writeValueAsString(stop) + "]}").body());
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(0, events.size() - 1)) {
            text.append(JSON.readTree(e).get("choices").get(0).get("text").asText());
        }
        assertThat(text.toString()).isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void earlyExitObjectSelectsTheMode() throws Exception {
        JsonNode r = json(post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":10,"
                + "\"early_exit\":{\"mode\":\"static\",\"exit_layer\":2}}"));
        JsonNode summary = r.get("choices").get(0).get("early_exit");
        assertThat(summary.get("mean_exit_layer").asDouble()).isEqualTo(2.0);
        assertThat(summary.get("mode").asText()).isEqualTo("static");
        JsonNode g = json(post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":10,"
                + "\"early_exit\":{\"policy\":\"confidence:threshold=0.3\"}}"));
        assertThat(g.get("mode").asText()).isEqualTo("early-exit");
        assertThat(g.get("exit_checks").asLong()).isPositive();
    }

    /** A mode named with no knobs runs: self-speculative on the engine's choices, early-exit on the model's defaults. */
    @Test
    void aModeNamedWithoutKnobsRuns() throws Exception {
        GenerationResult full = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(reference.tokenizer().encode("Once upon a time"), 24, 0f, 0L,
                        new Mode.Full(), true));
        JsonNode spec = json(post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":24,"
                + "\"early_exit\":{\"mode\":\"self-speculative\"}}"));
        assertThat(spec.get("mode").asText()).isEqualTo("self-speculative");
        assertThat(spec.get("drafted").asLong()).isPositive();
        List<Integer> ids = new ArrayList<>();
        spec.get("tokens").forEach(t -> ids.add(t.get("id").asInt()));
        assertThat(ids).containsExactlyElementsOf(java.util.Arrays.stream(full.ids()).boxed().toList());
        // stories260K ships no calibration profile: early-exit with no policy runs at full depth
        JsonNode ee = json(post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":24,"
                + "\"early_exit\":{\"mode\":\"early-exit\"}}"));
        assertThat(ee.get("mode").asText()).isEqualTo("full");
        assertThat(ee.get("layers_computed").asLong()).isEqualTo(full.layersComputed());
    }

    @Test
    void sixteenConcurrentStreamsEachEqualTheRequestAlone() throws Exception {
        String[] starts = {"Once upon a time", "The cat", "Lily and Tom", "One day", "The sun was", "A big dog",
                           "Sam had a", "The little bird"};
        String before = get("/metrics").body();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        List<GenerationResult> alone = new ArrayList<>();
        Generator generator = new Generator(reference.transformer(), System::nanoTime);
        for (int i = 0; i < 16; i++) {
            alone.add(generator.generate(new GenerationRequest(reference.tokenizer().encode(starts[i % starts.length]),
                    20 + 5 * i, 0f, 0L, new Mode.Full(), true)));
        }
        for (int i = 0; i < 16; i++) {  // all at once
            String prompt = starts[i % starts.length];
            int max = 20 + 5 * i;
            String body = "{\"prompt\":" + JSON.writeValueAsString(prompt) + ",\"max_tokens\":" + max
                    + ",\"stream\":true}";
            calls.add(CLIENT.sendAsync(HttpRequest.newBuilder(uri("/v1/generate")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 16; i++) {
            HttpResponse<String> r = calls.get(i).get();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<String> events = events(r.body());
            JsonNode trace = JSON.readTree(events.get(events.size() - 2));
            List<Integer> ids = new ArrayList<>();
            trace.get("tokens").forEach(t -> ids.add(t.get("id").asInt()));
            assertThat(ids).as("stream %d", i)
                    .containsExactly(java.util.Arrays.stream(alone.get(i).ids()).boxed().toArray(Integer[]::new));
            assertThat(events).as("one event per token, then the trace and [DONE]").hasSize(ids.size() + 2);
        }
        String scrape = get("/metrics").body();
        double steps = sample(scrape, "offramp_batch_size_count") - sample(before, "offramp_batch_size_count");
        double rows = sample(scrape, "offramp_batch_size_sum") - sample(before, "offramp_batch_size_sum");
        assertThat(rows / steps).as("mean requests per engine iteration").isGreaterThan(4);
    }

    static double sample(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
