package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.server.serve.ServedCascade;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.tokenize.TextTokenizer;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.calibrate.QuantileRule;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A served cascade of stories260K's first 3 layers and the whole model: a rule threshold nothing exceeds keeps every
 * small answer, one everything exceeds defers every request; the answers equal those members' own greedy outputs, and
 * deciding a deferral runs nothing on the engine thread between the batch's steps.
 */
class CascadeServingTest {
    static final String BODY = "{\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"early_exit\":{\"mode\":\"cascade\"}}";
    static Server keeps;
    static Server defers;
    static LoadedModel reference;

    @BeforeAll
    static void start() throws Exception {
        keeps = server(2.0);   // a quantile rule scores in [0, 1]
        defers = server(-1.0);
        reference = LoadedModel.open(ServerTest.MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU);
    }

    /** Members: the served model's first 3 layers, then all of it. */
    static ServedCascade.Spec ofItself(double threshold) {
        return new ServedCascade.Spec(List.of(new ServedCascade.LocalSpec("stories260K.bin", null, 3),
                new ServedCascade.LocalSpec("stories260K.bin", null, null)), new QuantileRule(0.1), threshold);
    }

    static Server server(double threshold) throws Exception {
        ModelWorker engine = new ModelWorker("stories260K.bin", () -> LoadedModel.open(ServerTest.MODEL, null,
                DjlRuntime.start(1), DeviceChoice.CPU), ChatTemplate.plain(), ModelWorker.Limits.DEFAULT, ModeOptions.NONE,
                ofItself(threshold));
        Server s = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024), engine).start();
        engine.awaitLoaded();
        engine.checkCascade();
        return s;
    }

    @AfterAll
    static void stop() {
        keeps.close();
        defers.close();
        reference.close();
    }

    static JsonNode generate(Server s, String body) throws Exception {
        HttpResponse<String> r = ServerTest.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + s.port() + "/v1/generate")).POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ServerTest.JSON.readTree(r.body());
    }

    static List<Integer> ids(JsonNode trace) {
        List<Integer> ids = new ArrayList<>();
        trace.get("tokens").forEach(t -> ids.add(t.get("id").asInt()));
        return ids;
    }

    static Integer[] boxed(int[] ids) {
        return java.util.Arrays.stream(ids).boxed().toArray(Integer[]::new);
    }

    @Test
    void aKeptAnswerIsTheSmallMembersAndCostsOnlyItsOwnLayers() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time");
        GenerationResult small = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(prompt, 12, 0f, 0L, new Mode.Static(3), true));
        JsonNode trace = generate(keeps, BODY);
        assertThat(ids(trace)).containsExactly(boxed(small.ids()));
        assertThat(trace.get("mode").asText()).isEqualTo("cascade");
        JsonNode c = trace.get("cascade");
        assertThat(c.get("deferred").asBoolean()).isFalse();
        assertThat(c.get("answered_by").asText()).isEqualTo("stories260K.bin:3");
        assertThat(c.get("rule").asText()).isEqualTo("quantile-0.1");
        assertThat(c.get("reason").asText()).contains("quantile-0.1 score").contains("<= threshold 2");
        assertThat(c.get("tried")).hasSize(1);
        assertThat(c.get("tried").get(0).get("score").asDouble()).isBetween(0.0, 1.0);
        // The rule read what decoding saw: no second pass over the answer.
        assertThat(trace.get("layers_computed").asLong()).isEqualTo(small.layersComputed());
    }

    @Test
    void aDeferredRequestIsAnsweredByTheWholeModelAndCounted() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time");
        GenerationResult full = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(prompt, 12, 0f, 0L, new Mode.Full(), true));
        JsonNode trace = generate(defers, BODY);
        assertThat(ids(trace)).containsExactly(boxed(full.ids()));
        JsonNode c = trace.get("cascade");
        assertThat(c.get("deferred").asBoolean()).isTrue();
        assertThat(c.get("answered_by").asText()).isEqualTo("stories260K.bin");
        assertThat(c.get("deferred_fraction").asDouble()).isEqualTo(1.0);
        assertThat(c.get("tried").get(0).get("deferred").asBoolean()).isTrue();
        assertThat(c.get("tried").get(1).has("score")).isTrue();
        assertThat(trace.get("tokens").get(1).get("exit_layer").asInt()).isEqualTo(5);

        HttpResponse<String> streamed = ServerTest.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + defers.port() + "/v1/completions")).POST(HttpRequest.BodyPublishers
                .ofString(BODY.replace("}}", "},\"stream\":true}"))));
        StringBuilder text = new StringBuilder();
        List<String> events = ServerTest.events(streamed.body());
        for (String e : events.subList(0, events.size() - 1)) {
            text.append(ServerTest.JSON.readTree(e).get("choices").get(0).get("text").asText());
        }
        assertThat(text.toString()).isEqualTo(reference.tokenizer().decode(full.ids()));
        String scrape = ServerTest.CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + defers.port()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        // Every cascade request of this server defers (other tests send some too): each deferral is counted once
        // from the small member to the whole model, and each answer by the whole model.
        double deferrals = metric(scrape, "offramp_cascade_deferrals_total{from=\"stories260K.bin:3\",model=\""
                + "stories260K.bin\",to=\"stories260K.bin\"}");
        assertThat(deferrals).isGreaterThanOrEqualTo(2.0).isEqualTo(metric(scrape, "offramp_cascade_answered_total{"
                + "member=\"stories260K.bin\",model=\"stories260K.bin\"}"));
        assertThat(metric(scrape, "offramp_cascade_answered_total{member=\"stories260K.bin:3\",model=\""
                + "stories260K.bin\"}")).isZero();
    }

    static double metric(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(series.length() + 1))).findFirst().orElseThrow(() -> new AssertionError(series
                + " not in\n" + scrape));
    }

    /**
     * A long full-depth stream runs while a cascade request's small member answers, is scored, deferred and answered
     * again by the whole model: between any two of the stream's tokens the model ran exactly one step (the batch's),
     * so deciding the deferral stalled no one.
     */
    @Test
    void runningRequestsKeepStreamingWhileADeferralIsDecided() throws Exception {
        ModelWorker engine = defers.engine();
        var model = engine.awaitLoaded().transformer();
        List<Long> stepsAtToken = new ArrayList<>();  // engine thread
        Job.Sink counting = new Job.Sink() {
            @Override
            public void start() {}

            @Override
            public void token(int id, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                    String textDelta) {
                synchronized (stepsAtToken) {
                    stepsAtToken.add(model.steps());
                }
            }
        };
        Job.Client client = new Job.Client() {
            public boolean disconnected() {
                return false;
            }

            public boolean writable() {
                return true;
            }

            public Long budgetMs() {
                return null;
            }
        };
        Job stream = new Job(knobs("{\"prompt\":\"Once\",\"max_tokens\":300}"), counting, client, System.nanoTime());
        engine.submit(stream);
        while (!stream.done().isDone() && sizeOf(stepsAtToken) < 5) {
            Thread.sleep(1);
        }
        assertThat(stream.done()).as("the stream is still running when the cascade request comes").isNotDone();
        Job cascade = new Job(knobs(BODY.replace("12", "30")), Job.NO_SINK, client, System.nanoTime());
        int before = sizeOf(stepsAtToken);
        engine.submit(cascade);
        Job.Outcome deferred = cascade.done().get(60, TimeUnit.SECONDS);
        int after = sizeOf(stepsAtToken);
        Job.Outcome streamed = stream.done().get(60, TimeUnit.SECONDS);

        assertThat(deferred.cascade().deferred()).isTrue();
        assertThat(deferred.result().ids()).hasSize(30);
        assertThat(after).as("the stream ran on while the cascade was answered").isLessThan(300);
        assertThat(after - before).as("stream tokens while the cascade ran").isGreaterThan(30);
        assertThat(streamed.result().ids()).hasSize(300);
        synchronized (stepsAtToken) {
            for (int i = 1; i < stepsAtToken.size(); i++) {
                assertThat(stepsAtToken.get(i) - stepsAtToken.get(i - 1)).as("model steps between tokens %d and %d",
                        i - 1, i).isEqualTo(1);
            }
        }
    }

    private static int sizeOf(List<Long> list) {
        synchronized (list) {
            return list.size();
        }
    }

    private static ClientRequest knobs(String body) {
        return RequestReader.generate(Fields.of(new Json().read(body), ""));
    }
}
