package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Offramp;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.io.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI contract of ARCHITECTURE.md, run in-process: the JSON fields, the layers file, and usage errors. */
class CommandsTest {
    private static final Path SHARED = Path.of("../../shared");
    private static final Path STORIES = SHARED.resolve("models/stories260K/stories260K.bin");
    private static final Path DEFAULT_MODEL = Path.of("../models/kjv-ee-12l");

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Commands.run(args, DEFAULT_MODEL, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void generateJsonFollowsTheContract() throws Exception {
        Run r = run("generate", "--model", STORIES.toString(), "--prompt", "Once upon a time", "--max-tokens", "12",
                "--json", "--device", "cpu");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.fieldNames()).toIterable().startsWith("prompt_ids", "ids", "text", "exit_layers",
                "layers_computed", "tokens_per_second");
        assertThat(j.get("exit_checks").asLong()).isZero();
        assertThat(j.get("prompt_ids").toString()).isEqualTo("[1,403,407,261,378]");
        assertThat(j.get("ids").size()).isEqualTo(12);
        assertThat(j.get("text").asText()).startsWith(", there was a little girl named Lily.");
        assertThat(j.get("exit_layers").size()).isEqualTo(12);
        j.get("exit_layers").forEach(e -> assertThat(e.asInt()).isEqualTo(5));
        // 5 prompt positions and 11 fed tokens (the 12th is sampled, never fed), 5 layers each.
        assertThat(j.get("layers_computed").asLong()).isEqualTo((5 + 11) * 5L);
        assertThat(j.get("tokens_per_second").asDouble()).isPositive();
    }

    @Test
    void promptIdsAreUsedVerbatimAndStaticExitIsReported() throws Exception {
        Run r = run("generate", "--model", STORIES.toString(), "--prompt-ids", "403,407", "--max-tokens", "4",
                "--mode", "static", "--exit-layer", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("prompt_ids").toString()).isEqualTo("[403,407]");
        assertThat(j.get("exit_layers").toString()).isEqualTo("[2,2,2,2]");
        JsonNode twice = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "403,407",
                "--max-tokens", "9", "--max-tokens", "4", "--mode", "static", "--exit-layer", "2", "--json"));
        assertThat(twice.get("ids")).as("an option given twice takes its last value").isEqualTo(j.get("ids"));
    }

    @Test
    void aGgufPathGeneratesAsTheBinDoes() throws Exception {
        String gguf = STORIES.resolveSibling("stories260K.gguf").toString();
        for (String[] mode : new String[][] {{"--mode", "full"}, {"--policy", "margin:threshold=0.3,min_layer=2"},
                {"--mode", "self-speculative", "--exit-layer", "2", "--draft", "3"}}) {
            String[] request = {"--prompt", "Once upon a time", "--max-tokens", "24", "--json"};
            JsonNode bin = json(run(concat(concat(new String[] {"generate", "--model", STORIES.toString()}, request),
                    mode)));
            JsonNode fromGguf = json(run(concat(concat(new String[] {"generate", "--model", gguf}, request), mode)));
            // a self-speculative request decides from its own timings whether drafting pays: the same output
            // either way, but how many layers it computed depends on how fast this machine ran each try
            boolean timed = mode[1].equals("self-speculative");
            for (String field : timed ? List.of("prompt_ids", "ids", "text", "exit_layers")
                    : List.of("prompt_ids", "ids", "text", "exit_layers", "layers_computed")) {
                assertThat(fromGguf.get(field)).as("%s with %s", field, List.of(mode)).isEqualTo(bin.get(field));
            }
        }
    }

    @Test
    void theDefaultModelIsTheEmbeddedKjvModel() throws Exception {
        Run r = run("generate", "--prompt", "And God said", "--max-tokens", "8", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("exit_layers").toString()).isEqualTo("[12,12,12,12,12,12,12,12]");
        assertThat(j.get("text").asText()).isNotBlank();
    }

    @Test
    void layersWritesEveryLayerAsTransformersComputedIt(@TempDir Path dir) throws Exception {
        Path fixture = SHARED.resolve("fixtures/hf/llama-gqa");
        JsonNode ref = new ObjectMapper().readTree(fixture.resolve("reference.json").toFile());
        StringBuilder ids = new StringBuilder();
        ref.get("prompts").get(1).get("ids").forEach(i -> ids.append(ids.length() == 0 ? "" : ",").append(i.asInt()));
        Path out = dir.resolve("layers.safetensors");
        Run r = run("layers", "--model", fixture.toString(), "--prompt-ids", ids.toString(), "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        SafetensorsFile ours = SafetensorsFile.open(out);
        int t = ref.get("prompts").get(1).get("ids").size();
        assertThat(ours.shape("layer_hidden")).containsExactly(6, t, 64);
        assertThat(ours.shape("layer_logits")).containsExactly(6, t, 512);
        SafetensorsFile want = SafetensorsFile.open(fixture.resolve("reference.safetensors"));
        for (String name : new String[] {"layer_hidden", "layer_logits"}) {
            float[] a = ours.tensor(name).toFloatArray();
            float[] b = want.tensor("prompt.1." + name).toFloatArray();
            double maxDiff = 0;
            double maxRef = 0;
            for (int i = 0; i < b.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                maxRef = Math.max(maxRef, Math.abs(b[i]));
            }
            assertThat(a).hasSameSizeAs(b);
            assertThat(maxDiff / maxRef).as(name).isLessThan(1e-4);
        }
    }

    @Test
    void usageErrorsNameTheProblem() {
        Run noPrompt = run("generate", "--model", STORIES.toString());
        assertThat(noPrompt.status()).isEqualTo(2);
        assertThat(noPrompt.err()).contains("exactly one of --prompt TEXT or --prompt-ids");
        Run unknown = run("generate", "--prompt", "x", "--bogus", "1");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown options: '--bogus'").contains("offramp generate --help");
        Run notAnInt = run("generate", "--prompt", "x", "--max-tokens", "many");
        assertThat(notAnInt.status()).isEqualTo(2);
        assertThat(notAnInt.err()).contains("Invalid value for option '--max-tokens': 'many' is not an int");
        Run badMode = run("generate", "--prompt", "x", "--mode", "warp");
        assertThat(badMode.err()).contains("mode: expected one of full, static, early-exit, skip, "
                + "self-speculative, found warp");
        Run strayWithProfile = run("generate", "--prompt", "x", "--mode", "static", "--kv", "propagate");
        assertThat(strayWithProfile.err()).contains("kv: only for mode early-exit, found mode static");
        Run stray = run("generate", "--prompt", "x", "--speedup", "2");
        assertThat(stray.err()).contains("speedup: only for mode skip, found mode full");
        Run badPolicy = run("generate", "--prompt", "x", "--policy", "confidence:threshold=2");
        assertThat(badPolicy.status()).isEqualTo(2);
        assertThat(badPolicy.err()).contains("threshold");
        Run badLayer = run("generate", "--model", STORIES.toString(), "--prompt", "x", "--mode", "static",
                "--exit-layer", "9");
        assertThat(badLayer.status()).isEqualTo(2);
        assertThat(badLayer.err()).contains("exit layer: expected 1..5 (the model's layers), found 9");
        Run badIds = run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,x");
        assertThat(badIds.err()).contains("--prompt-ids expects comma-separated integers, found 1,x");
        Run missing = run("generate", "--model", "/nonexistent/model.bin", "--prompt", "x");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("/nonexistent/model.bin");
        assertThat(run("frobnicate").err()).contains("unknown command frobnicate");
        Run badDevice = run("generate", "--prompt", "x", "--device", "tpu");
        assertThat(badDevice.err()).contains("--device: expected cpu, gpu or auto, found tpu");
        Run badKernels = run("generate", "--prompt", "x", "--kernels", "fast");
        assertThat(badKernels.status()).isEqualTo(2);
        assertThat(badKernels.err()).contains("--kernels: expected auto, f32 or f16, found 'fast'");
        Run badKernel = run("generate", "--prompt", "x", "--kernels", "f16/linear/0t");
        assertThat(badKernel.status()).isEqualTo(2);
        assertThat(badKernel.err()).contains("kernel threads: expected a positive integer, found 0");
    }

    @Test
    void everyCommandExplainsItself() {
        for (String command : List.of("generate", "layers", "serve")) {
            Run help = run(command, "--help");
            assertThat(help.status()).as(command).isZero();
            assertThat(help.out()).as(command).startsWith("Usage: offramp " + command).contains("--model=PATH")
                    .contains("--kernels=").contains("Default: ").contains("--version");
            Run version = run(command, "--version");
            assertThat(version.status()).isZero();
            assertThat(version.out()).matches("offramp \\d+\\.\\d+\\.\\d+.*\\R");
            assertThat(run(command, "-h").status()).isZero();
        }
        assertThat(run("layers", "--help").out()).contains("Default: f32");
        assertThat(run("serve", "--help").out()).contains("--max-running=N").contains("Default: 16");
        Run top = run("--help");
        assertThat(top.status()).isZero();
        assertThat(top.out()).contains("Commands (each answers --help):").contains("Exit status: 0 success");
        for (String command : List.of("generate", "layers", "serve", "bench", "eval", "sweep", "calibrate", "cascade",
                "precision", "load", "help")) {
            assertThat(top.out().lines().filter(l -> l.startsWith("  " + command + " ")))
                    .as("one line for %s", command).hasSize(1);
        }
        assertThat(top.out().lines().filter(l -> l.startsWith("    "))).as("no command's line wraps").isEmpty();
        assertThat(run("help", "generate").out()).startsWith("Usage: offramp generate");
        Run none = run();
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("Commands (each answers --help):");
    }

    @Test
    void theCommittedBashCompletionIsUpToDate() throws Exception {
        java.io.PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        String generated = picocli.AutoComplete.bash("offramp", Offramp.commandLine(new CliContext(Path.of(".."),
                DEFAULT_MODEL, sink, sink, Progress.SILENT)));
        java.nio.file.Files.writeString(Path.of("target/offramp-completion.bash"), generated);
        // generate-completion prints the script with a line end after it.
        assertThat(java.nio.file.Files.readString(Path.of("../offramp-completion.bash")).stripTrailing())
                .as("regenerate: ./offramp generate-completion > offramp-completion.bash (target/ has this one)")
                .isEqualTo(generated.stripTrailing());
        assertThat(generated).contains("generate").contains("--prompt-ids").contains("--cascade-threshold")
                .contains("calibrate").contains("--small-layers").contains("--requests-per-stream");
    }

    @Test
    void askingForAGpuThatIsNotThereSaysSo() {
        Run r = run("generate", "--model", STORIES.toString(), "--prompt", "x", "--device", "gpu");
        org.junit.jupiter.api.Assumptions.assumeTrue(r.status() != 0, "this machine has a GPU");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--device gpu: DJL sees no GPU");
    }

    @Test
    void aCascadeKeepsOrDefersAndAProfileSetsTheMode(@TempDir Path dir) throws Exception {
        String[] base = {"generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407", "--max-tokens", "6",
                         "--json", "--mode", "cascade", "--cascade-small-layers", "3", "--cascade-rule", "quantile-0.1",
                         "--cascade-threshold"};
        JsonNode kept = json(run(concat(base, "2")));
        JsonNode deferred = json(run(concat(base, "-1")));
        JsonNode small = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json", "--mode", "static", "--exit-layer", "3"));
        JsonNode full = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json"));
        assertThat(kept.get("ids")).isEqualTo(small.get("ids"));
        assertThat(kept.get("cascade").get("answered_by").asInt()).isZero();
        assertThat(kept.get("cascade").get("members").toString()).isEqualTo("[\"stories260K.bin:3\",\"stories260K.bin\"]");
        assertThat(deferred.get("ids")).isEqualTo(full.get("ids"));
        assertThat(deferred.get("cascade").get("answered_by").asInt()).isEqualTo(1);
        assertThat(deferred.get("layers_computed").asLong()).as("both members; the rule read what decoding saw")
                .isEqualTo(small.get("layers_computed").asLong() + full.get("layers_computed").asLong());
        assertThat(deferred.get("cascade").get("reason").asText()).isEqualTo("the last member answers what reaches it");
        assertThat(kept.get("cascade").get("reason").asText()).contains("quantile-0.1 score").contains("<= threshold 2");
        assertThat(run("generate", "--model", STORIES.toString(), "--prompt", "a", "--mode", "cascade").status())
                .isEqualTo(2);

        // Across models the prompt goes over as text, tokenized by each member.
        Path kjv = SHARED.resolve("models/kjv-ee-12l");
        String members = STORIES + ":3," + kjv;
        JsonNode handedOver = json(run("generate", "--prompt", "And God said", "--max-tokens", "6", "--json",
                "--mode", "cascade", "--cascade-members", members, "--cascade-rule", "chow-average",
                "--cascade-threshold", "-1"));
        JsonNode kjvAlone = json(run("generate", "--model", kjv.toString(), "--prompt", "And God said",
                "--max-tokens", "6", "--json"));
        assertThat(handedOver.get("cascade").get("answered_by").asInt()).isEqualTo(1);
        assertThat(handedOver.get("prompt_ids")).isEqualTo(kjvAlone.get("prompt_ids"));
        assertThat(handedOver.get("ids")).isEqualTo(kjvAlone.get("ids"));
        Run ids = run("generate", "--prompt-ids", "1,2", "--mode", "cascade", "--cascade-members", members,
                "--cascade-rule", "chow-sum", "--cascade-threshold", "0");
        assertThat(ids.status()).isEqualTo(2);
        assertThat(ids.err()).contains("give --prompt");

        Path profile = dir.resolve("p.json");
        java.nio.file.Files.writeString(profile, "{\"model\":\"stories260K.bin\",\"policy\":"
                + "\"margin:threshold=0.5,min_layer=2\",\"kv\":\"recompute\",\"prune\":0,\"epsilon\":0.05,"
                + "\"delta\":0.1,\"p_value\":\"binomial\",\"data\":{\"text\":\"t\",\"half\":\"first\","
                + "\"prompts\":1,\"prompt_tokens\":1,\"new_tokens\":2,\"tokens\":2},\"risk\":0.01,\"grid\":[]}");
        JsonNode viaProfile = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json", "--profile", profile.toString()));
        JsonNode viaPolicy = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json", "--policy", "margin:threshold=0.5,min_layer=2"));
        assertThat(viaProfile.get("ids")).isEqualTo(viaPolicy.get("ids"));
        assertThat(viaProfile.get("exit_layers")).isEqualTo(viaPolicy.get("exit_layers"));
        Run both = run("generate", "--model", STORIES.toString(), "--prompt", "a", "--profile", profile.toString(),
                "--policy", "margin:threshold=0.5");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).contains("--profile sets the mode");
        JsonNode agreeing = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json", "--profile", profile.toString(), "--mode", "early-exit"));
        assertThat(agreeing.get("exit_layers")).isEqualTo(viaPolicy.get("exit_layers"));
        Run noStatic = run("generate", "--model", STORIES.toString(), "--prompt", "a", "--profile",
                profile.toString(), "--mode", "static");
        assertThat(noStatic.status()).isEqualTo(2);
        assertThat(noStatic.err()).contains("nothing certified for mode static");
    }

    @Test
    void staticAndSkipWithNoKnobRunAtFullDepthWithoutAProfile() throws Exception {
        JsonNode full = json(run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407",
                "--max-tokens", "6", "--json"));
        for (String mode : new String[] {"static", "skip"}) {
            Run r = run("generate", "--model", STORIES.toString(), "--prompt-ids", "1,403,407", "--max-tokens", "6",
                    "--json", "--mode", mode);
            assertThat(json(r).get("ids")).as(mode).isEqualTo(full.get("ids"));  // the note goes to the real stderr
        }
    }

    private static JsonNode json(Run r) throws Exception {
        assertThat(r.status()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
