package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.AnswerUncertainty;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.calibrate.QuantileRule;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A served cascade of stories260K's first 3 layers and the whole model: a rule threshold nothing exceeds keeps every
 * small answer, one everything exceeds defers every request; the answers equal those members' own greedy outputs.
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

    static Server server(double threshold) throws Exception {
        Engine engine = new Engine("stories260K.bin", () -> LoadedModel.open(ServerTest.MODEL, null,
                DjlRuntime.start(1), DeviceChoice.CPU), ChatTemplate.plain(), Engine.Limits.DEFAULT, ModeOptions.NONE,
                new Cascade(3, new QuantileRule(0.1), threshold));
        Server s = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024), engine).start();
        engine.awaitLoaded();
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

    @Test
    void aKeptAnswerIsTheSmallMembersAndCountsItsUncertaintyPass() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time");
        GenerationResult small = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(prompt, 12, 0f, 0L, new Mode.Static(3), true));
        JsonNode trace = generate(keeps, BODY);
        assertThat(ids(trace)).containsExactly(java.util.Arrays.stream(small.ids()).boxed().toArray(Integer[]::new));
        assertThat(trace.get("mode").asText()).isEqualTo("cascade");
        JsonNode c = trace.get("cascade");
        assertThat(c.get("deferred").asBoolean()).isFalse();
        assertThat(c.get("small").asText()).isEqualTo("layers-1-3");
        assertThat(c.get("rule").asText()).isEqualTo("quantile-0.1");
        assertThat(c.get("score").asDouble()).isBetween(0.0, 1.0);
        assertThat(trace.get("layers_computed").asLong())
                .isEqualTo(small.layersComputed() + AnswerUncertainty.layers(3, prompt, small.ids()));
    }

    @Test
    void aDeferredRequestIsAnsweredByTheWholeModelAndCounted() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time");
        GenerationResult full = new Generator(reference.transformer(), System::nanoTime)
                .generate(new GenerationRequest(prompt, 12, 0f, 0L, new Mode.Full(), true));
        JsonNode trace = generate(defers, BODY);
        assertThat(ids(trace)).containsExactly(java.util.Arrays.stream(full.ids()).boxed().toArray(Integer[]::new));
        assertThat(trace.get("cascade").get("deferred").asBoolean()).isTrue();
        assertThat(trace.get("cascade").get("deferred_fraction").asDouble()).isEqualTo(1.0);
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
        assertThat(scrape).contains("offramp_cascade_deferrals_total{from=\"layers-1-3\",model=\"stories260K.bin\","
                + "to=\"full\"} 2.0");
    }
}
