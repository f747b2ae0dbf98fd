package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyFactory;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.StaticPolicy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /v1/policies} on a real socket: the registry's policies in words, and every example runs as listed. */
class PoliciesHandlerTest {
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void listsEveryPolicyWithItsKeysPaperSignalsAndTheComposites() throws Exception {
        HttpResponse<String> r = get(server.port(), "/v1/policies");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode listing = ServerTest.JSON.readTree(r.body());
        assertThat(listing.get("object").asText()).isEqualTo("list");
        assertThat(listing.get("model_layers").asInt()).isEqualTo(5);
        List<String> names = new ArrayList<>();
        listing.get("data").forEach(p -> names.add(p.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(PolicyRegistry.standard().names());

        JsonNode confidence = listing.get("data").get(0);
        assertThat(confidence.get("paper").asText()).contains("Schuster et al. 2022", "Confident Adaptive Language");
        assertThat(confidence.get("summary").asText()).contains("top-1");
        assertThat(confidence.get("signals").toString()).isEqualTo("[\"top1_prob\"]");
        assertThat(confidence.get("keys").toString()).isEqualTo("[{\"name\":\"threshold\",\"required\":true,"
                + "\"default\":null,\"meaning\":\"the top-1 probability to reach, in (0, 1]\"},"
                + "{\"name\":\"min_layer\",\"required\":false,\"default\":\"1\","
                + "\"meaning\":\"the first layer checked\"},"
                + "{\"name\":\"every\",\"required\":false,\"default\":\"1\",\"meaning\":\"check every n-th layer from "
                + "min_layer\"},{\"name\":\"at\",\"required\":false,\"default\":null,\"meaning\":\"the layers checked, "
                + "e.g. 3;6;9 (instead of min_layer and every)\"}]");
        JsonNode saturation = card(listing, "saturation");
        assertThat(saturation.get("signals").toString()).isEqualTo("[\"cosine\"]");
        assertThat(card(listing, "patience").get("keys").get(0).get("default").asText()).isEqualTo("2");
        assertThat(card(listing, "static").get("keys").size()).isEqualTo(1);
        assertThat(card(listing, "static").get("signals").size()).isZero();
        List<String> composites = new ArrayList<>();
        listing.get("composites").forEach(c -> composites.add(c.get("syntax").asText()));
        assertThat(composites).containsExactly("all(spec, …)", "any(spec, …)", "quorum(n, spec, …)");
    }

    @Test
    void everyListedExampleRunsOnTheServedModel() throws Exception {
        JsonNode listing = ServerTest.JSON.readTree(get(server.port(), "/v1/policies").body());
        for (JsonNode p : listing.get("data")) {
            if (p.get("example").isNull()) {
                assertThat(p.get("name").asText()).as("a policy whose spec names the user's own file").isEqualTo("learned");
                continue;
            }
            String example = p.get("example").asText();
            HttpResponse<String> r = ServerTest.send(HttpRequest.newBuilder(uri(server.port(), "/v1/generate"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once upon a time\",\"max_tokens\":3,"
                            + "\"early_exit\":{\"policy\":\"" + example + "\"}}")));
            assertThat(r.statusCode()).as("%s: %s", example, r.body()).isEqualTo(200);
        }
    }

    @Test
    void headAndWrongMethods() throws Exception {
        HttpResponse<Void> head = ServerTest.CLIENT.send(HttpRequest.newBuilder(uri(server.port(), "/v1/policies"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length").orElse(0)).isPositive();
        HttpResponse<String> post = ServerTest.send(HttpRequest.newBuilder(uri(server.port(), "/v1/policies"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        assertThat(ServerTest.JSON.readTree(post.body()).get("error").get("code").asText())
                .isEqualTo("method_not_allowed");
    }

    /**
     * A plug-in policy without a doc is listed by name and keys; and the listing is answered while the model is
     * still loading (the event loop never waits for it), its depth then unknown.
     */
    @Test
    void aPluginWithoutDocsAndAModelStillLoading() throws Exception {
        PolicyRegistry registry = new PolicyRegistry(List.of(
                new PolicyFactory("first", List.of("depth"), p -> new StaticPolicy(1))));
        CountDownLatch release = new CountDownLatch(1);
        ModelWorker engine = new ModelWorker("late", ServerTest.loadedAfter(release), ChatTemplate.plain(), ModelWorker.Limits.DEFAULT, ModeOptions.NONE, null, registry);
        try (Server late = new Server(new ServerConfig("127.0.0.1", 0, 1024), engine).start()) {
            JsonNode loading = ServerTest.JSON.readTree(get(late.port(), "/v1/policies").body());
            assertThat(loading.get("model_layers").isNull()).isTrue();
            assertThat(loading.get("data").toString()).isEqualTo("[{\"name\":\"first\",\"summary\":null,"
                    + "\"paper\":null,\"example\":null,\"signals\":null,\"keys\":[{\"name\":\"depth\","
                    + "\"required\":false,\"default\":null,\"meaning\":null}]}]");
            release.countDown();
            engine.awaitLoaded();
            assertThat(ServerTest.JSON.readTree(get(late.port(), "/v1/policies").body()).get("model_layers").asInt())
                    .isEqualTo(5);
        }
    }

    private static JsonNode card(JsonNode listing, String name) {
        for (JsonNode p : listing.get("data")) {
            if (p.get("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no policy " + name + " in " + listing);
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return ServerTest.CLIENT.send(HttpRequest.newBuilder(uri(port, path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
