package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.cli.PluginOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A plug-in policy jar, built here as its author would, in a directory named by --plugins or $OFFRAMP_PLUGINS. */
class PluginPoliciesTest {
    private static final String STORIES = "../../shared/models/stories260K/stories260K.bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(180) // a guard against a server that never says it is ready, not a measurement
    void theServerRunsARequestWithAPluginPolicy() throws Exception {
        Path jar = PolicyJar.write(dir, "halfway", "halfway");
        try (ServeProcess serve = ServeProcess.start("--model", STORIES, "--plugins", jar.getParent().toString(),
                "--threads", "1", "--kernels", "f32")) {
            List<Integer> halfway = exitLayers(serve, "halfway");
            // stories260K has 5 layers: the middle one is 3, where the built-in static policy at 3 also leaves (the
            // first token comes from the prompt's pass, at full depth, in early-exit mode).
            assertThat(halfway).hasSize(8).endsWith(3, 3, 3, 3, 3, 3, 3).isEqualTo(exitLayers(serve, "static:layer=3"));

            HttpResponse<String> bad = serve.post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":2,"
                    + "\"early_exit\":{\"policy\":\"halfway:threshold=0.5\"}}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("halfway: unknown key 'threshold'");
        }
    }

    @Test
    void generateTakesThePluginsFromTheFlagOrTheEnvironment() throws Exception {
        Path plugins = PolicyJar.write(dir, "halfway", "halfway").getParent();
        Run r = run("generate", "--model", STORIES, "--plugins", plugins.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--policy", "halfway", "--json");
        Run builtIn = run("generate", "--model", STORIES, "--prompt-ids", "1,403,407", "--max-tokens", "6",
                "--policy", "static:layer=3", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(JSON.readTree(r.out()).get("exit_layers").toString()).endsWith("3,3,3,3,3]")
                .isEqualTo(JSON.readTree(builtIn.out()).get("exit_layers").toString());

        PluginOptions none = new PluginOptions();
        assertThat(none.policies(Map.of("OFFRAMP_PLUGINS", plugins.toString())).names()).contains("halfway");
        assertThat(none.policies(Map.of()).names()).doesNotContain("halfway").contains("margin");
        PluginOptions flag = flags("--plugins", plugins.toString());
        assertThat(flag.policies(Map.of("OFFRAMP_PLUGINS", dir.resolve("absent").toString())).names())
                .as("--plugins wins over the environment").contains("halfway");

        Run unknown = run("generate", "--model", STORIES, "--prompt-ids", "1", "--policy", "halfway");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown policy 'halfway'");
    }

    @Test
    void aPluginPolicyNamedLikeABuiltInIsRefused() throws Exception {
        Path plugins = PolicyJar.write(dir, "impostor", "margin").getParent();
        Run r = run("generate", "--model", STORIES, "--plugins", plugins.toString(), "--prompt-ids", "1");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("plug-in policy 'margin' of example.HalfwayPolicies (")
                .contains("impostor.jar").contains("expected a new name, found it taken by a built-in policy");
    }

    @Test
    void aPluginsPathThatIsNotADirectoryIsRefused() {
        PluginOptions flags = flags("--plugins", dir.resolve("absent").toString());
        assertThatThrownBy(() -> flags.policies(Map.of()))
                .hasMessageContaining("plug-ins: expected a directory of policy jars, found nothing at")
                .hasMessageContaining("absent");
    }

    /** The plug-in option as picocli parses it from {@code args}. */
    private static PluginOptions flags(String... args) {
        PluginOptions flags = new PluginOptions();
        new picocli.CommandLine(flags).parseArgs(args);
        return flags;
    }

    private static List<Integer> exitLayers(ServeProcess serve, String policy) throws Exception {
        HttpResponse<String> r = serve.post("/v1/generate", "{\"prompt\":\"Once upon a time\",\"max_tokens\":8,"
                + "\"early_exit\":{\"policy\":\"" + policy + "\"}}");
        ServeProcess.assertOk(r);
        List<Integer> layers = new ArrayList<>();
        JSON.readTree(r.body()).get("tokens").forEach(t -> layers.add(t.get("exit_layer").asInt()));
        return layers;
    }

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Commands.run(args, Path.of(STORIES), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
