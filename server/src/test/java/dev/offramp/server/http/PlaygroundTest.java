package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.ExternalTools;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.policy.PolicyRegistry;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The playground end to end in headless Chromium (Debian's {@code chromium}, driven by {@code playwright-core} from
 * {@code server/src/test/node/playground.mjs}): the page loads its policies, a prompt is typed, a policy picked from
 * the server's list, and the streamed tokens carry their exit layers, the legend's colours and (hovered) their
 * signals. Its screenshot lands in {@code server/target/playground.png}. A missing browser or package skips the
 * test, unless {@code OFFRAMP_REQUIRE_CLIENTS=1} (CI), where it fails.
 */
class PlaygroundTest {
    static final String SCRIPT = "server/src/test/node/playground.mjs";
    static final String PROMPT = "Once upon a time";
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void tokensStreamInColouredByTheirExitLayer() throws Exception {
        Path root = ExternalTools.repositoryRoot();
        Path node = ExternalTools.requireTool(ExternalTools.onPath("node"), "node (Node.js 20+)",
                "apt-get install nodejs npm");
        Path chromium = ExternalTools.requireTool(ExternalTools.onPath("chromium")
                .or(() -> ExternalTools.onPath("chromium-browser")), "Chromium", "apt-get install chromium");
        ExternalTools.requireTool(Optional.of(root.resolve("server/src/test/node/node_modules/playwright-core/"
                + "package.json")).filter(Files::isRegularFile), "playwright-core",
                "npm ci --prefix server/src/test/node");
        Path target = root.resolve("server/target");
        Path screenshot = target.resolve("playground.png");
        Files.deleteIfExists(screenshot);
        String base = "http://127.0.0.1:" + server.port();

        // confidence's listed example, as the page fills it in: on stories260K its tokens leave at layers 3 to 5.
        ExternalTools.Run run = ExternalTools.Run.of(List.of(node.toString(), root.resolve(SCRIPT).toString(),
                chromium.toString(), base, screenshot.toString(), "{\"prompt\":\"" + PROMPT + "\",\"mode\":"
                        + "\"early-exit\",\"policy\":\"confidence\",\"budget\":60000,\"maxTokens\":24}"),
                root, null, target.resolve("playground.out"), 180);
        assertThat(run.exit()).as("%s exited %d:%n%s", SCRIPT, run.exit(), run.output()).isZero();
        String output = run.output().strip();
        JsonNode page = ServerTest.JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));

        assertThat(page.get("state").asText()).as(page.get("summary").asText()).isEqualTo("done");
        assertThat(page.get("errors").size()).as(page.get("errors").toString()).isZero();
        List<String> options = new ArrayList<>();
        page.get("policies").forEach(o -> options.add(o.asText()));
        List<String> expected = new ArrayList<>(List.of(""));  // "" is the model's calibration profile
        expected.addAll(PolicyRegistry.standard().names());
        assertThat(options).as("the picker is filled from GET /v1/policies").containsExactlyElementsOf(expected);
        String spec = page.get("spec").asText();
        assertThat(spec).isEqualTo("confidence:threshold=0.9,min_layer=3");

        // What the page shows is what the server streams: the same tokens and exit layers as a direct request.
        String body = "{\"prompt\":\"" + PROMPT + "\",\"max_tokens\":24,\"early_exit\":{\"mode\":\"early-exit\","
                + "\"policy\":\"" + spec + "\"}}";
        JsonNode direct = ServerTest.JSON.readTree(ServerTest.send(HttpRequest.newBuilder(PoliciesHandlerTest.uri(
                server.port(), "/v1/generate")).POST(HttpRequest.BodyPublishers.ofString(body))).body());
        JsonNode tokens = page.get("tokens");
        assertThat(tokens.size()).isEqualTo(direct.get("tokens").size()).isPositive();
        List<String> legend = new ArrayList<>();
        page.get("legend").forEach(s -> legend.add(s.get("colour").asText()));
        assertThat(legend).hasSize(5).doesNotHaveDuplicates();
        Set<Integer> layers = new HashSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            JsonNode t = tokens.get(i);
            JsonNode served = direct.get("tokens").get(i);
            int layer = t.get("layer").asInt();
            assertThat(t.get("text").asText()).isEqualTo(served.get("text").asText());
            assertThat(layer).as("token %d", i).isEqualTo(served.get("exit_layer").asInt()).isBetween(1, 5);
            assertThat(t.get("colour").asText()).as("token %d at layer %d", i, layer).isEqualTo(legend.get(layer - 1));
            assertThat(t.get("tip").asText()).contains("exit layer " + layer + " of 5");
            // No budget cap at 60 s: every early exit is confidence's, and shows the signal it decided on.
            if (layer < 5) {
                assertThat(t.get("signals").get("top1_prob").asDouble()).isEqualTo(
                        served.get("signals").get("top1_prob").asDouble()).isGreaterThanOrEqualTo(0.9);
                assertThat(t.get("tip").asText()).contains("top-1 probability: ");
            }
            layers.add(layer);
        }
        assertThat(layers).as("exit layers of the stream").hasSizeGreaterThan(1);
        // Hovering the first early exit shows its tooltip: its layer and signals.
        int hovered = page.get("hovered").asInt();
        assertThat(tokens.get(hovered).get("layer").asInt()).isLessThan(5);
        assertThat(page.get("tip").asText()).isEqualTo(tokens.get(hovered).get("tip").asText())
                .contains("top-1 probability: ");

        assertThat(page.get("chartPixels").asInt()).as("the chart drew").isPositive();
        assertThat(page.get("summary").asText()).startsWith(tokens.size() + " tokens, mode early-exit");
        assertThat(page.get("budget").get("outcome").asText()).isEqualTo("met");
        assertThat(page.get("budget").get("text").asText()).isEqualTo("latency budget 60000 ms: met");
        page.get("requests").forEach(u -> assertThat(u.asText()).as("offline: nothing from elsewhere")
                .startsWith(base + "/"));
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }
}
