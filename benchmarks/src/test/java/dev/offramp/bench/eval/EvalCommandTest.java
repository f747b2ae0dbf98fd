package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.bench.BenchCli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** eval end to end on the real 5-layer stories260K, tiny sizes. */
class EvalCommandTest {
    static final Path SHARED = Path.of("../../shared");
    static final String MODEL = SHARED.resolve("models/stories260K/stories260K.bin").toString();
    static final String TEXT = SHARED.resolve("data/tinystories-val-calibration.txt").toString();

    @Test
    void staticExitAtTheLastLayerIsFullDepth() throws Exception {
        JsonNode r = eval("--mode", "static", "--exit-layer", "5");
        JsonNode free = r.get("free_running");
        assertThat(r.get("layers").asInt()).isEqualTo(5);
        assertThat(free.get("agreement_prefix").asDouble()).isEqualTo(1.0);
        assertThat(free.get("agreement_overall").asDouble()).isEqualTo(1.0);
        assertThat(free.get("agreement_per_token").asDouble()).isEqualTo(1.0);
        assertThat(free.get("layer_ratio").asDouble()).isEqualTo(1.0);
        assertThat(free.get("layers_per_token").asDouble()).isEqualTo(5.0);
        assertThat(free.get("full_layers_per_token").asDouble()).isEqualTo(5.0);
        assertThat(free.get("tokens_per_s").asDouble()).isPositive();
        JsonNode teacher = r.get("teacher_forced");
        assertThat(teacher.get("tokens").asLong()).isEqualTo(512);
        assertThat(teacher.get("mean_exit_layer").asDouble()).isEqualTo(5.0);
        assertThat(teacher.get("argmax_agreement").asDouble()).isEqualTo(1.0);
        assertThat(teacher.get("perplexity").asDouble()).isEqualTo(teacher.get("full_perplexity").asDouble())
                .isBetween(1.0, 512.0);
    }

    @Test
    void aConfidenceBarNearZeroExitsAfterTheFirstLayer() throws Exception {
        JsonNode r = eval("--policy", "confidence:threshold=0.0001");
        assertThat(r.get("mode").asText()).isEqualTo("early-exit");
        JsonNode teacher = r.get("teacher_forced");
        assertThat(teacher.get("mean_exit_layer").asDouble()).isLessThan(2.0);
        assertThat(teacher.get("perplexity").asDouble()).isGreaterThan(teacher.get("full_perplexity").asDouble());
        assertThat(r.get("free_running").get("layers_per_token").asDouble()).isLessThan(5.0);
        // stories260K is not exit-trained: layer 1's guesses are rarely what full depth would say.
        assertThat(r.get("free_running").get("agreement_per_token").asDouble()).isLessThan(0.9);
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        BenchCli.Run r = BenchCli.run("eval", "--text", TEXT, "--prompt", "x");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--prompt', 'x'").contains("Try 'offramp eval --help'");
    }

    @Test
    void progressShowsOnATerminalOnlyAndNeverWithJson() throws Exception {
        String[] args = {"eval", "--model", MODEL, "--text", TEXT, "--prompts", "2", "--new-tokens", "4",
                "--teacher-tokens", "300", "--warmup-tokens", "0", "--device", "cpu", "--mode", "static",
                "--exit-layer", "5"};
        BenchCli.Run terminal = BenchCli.run(true, args);
        BenchCli.Run piped = BenchCli.run(false, args);
        List<String> withJson = new ArrayList<>(List.of(args));
        withJson.add("--json");
        BenchCli.Run json = BenchCli.run(true, withJson.toArray(String[]::new));
        for (BenchCli.Run r : List.of(terminal, piped, json)) {
            assertThat(r.status()).as(r.err()).isZero();
        }
        assertThat(terminal.err()).contains("loading stories260K.bin").contains("free-running").contains("2/2")
                .contains("agreement 1.000").contains("teacher-forced").contains("exit layer 5.00");
        for (BenchCli.Run quiet : List.of(piped, json)) {
            assertThat(quiet.err()).doesNotContain("\r").doesNotContain("free-running")
                    .doesNotContain("teacher-forced").doesNotContain("loading stories260K.bin");
        }
        // the bars went to stderr alone: stdout is the same table, its timings (and their padding) aside
        assertThat(terminal.out().replaceAll(" *[0-9.]+", " #")).isEqualTo(piped.out().replaceAll(" *[0-9.]+", " #"))
                .contains("agreement");
        assertThat(new ObjectMapper().readTree(json.out()).get("free_running").get("agreement_per_token").asDouble())
                .isEqualTo(1.0);
    }

    @Test
    void aGgufModelMeasuresAsTheBinDoes() throws Exception {
        String gguf = SHARED.resolve("models/stories260K/stories260K.gguf").toString();
        String[] mode = {"--policy", "margin:threshold=0.3,min_layer=2"};
        JsonNode bin = evalOn(MODEL, mode);
        JsonNode fromGguf = evalOn(gguf, mode);
        for (String part : List.of("free_running", "teacher_forced")) {
            for (String field : List.of("agreement_per_token", "layers_per_token", "mean_exit_layer", "perplexity",
                    "full_perplexity", "argmax_agreement")) {
                if (bin.get(part).has(field)) {
                    assertThat(fromGguf.get(part).get(field)).as("%s.%s", part, field)
                            .isEqualTo(bin.get(part).get(field));
                }
            }
        }
        assertThat(fromGguf.get("teacher_forced").get("tokens").asLong()).isEqualTo(512);
    }

    private static JsonNode eval(String... mode) throws Exception {
        return evalOn(MODEL, mode);
    }

    private static JsonNode evalOn(String model, String... mode) throws Exception {
        List<String> args = new ArrayList<>(List.of("--model", model, "--text", TEXT, "--prompts", "2",
                "--new-tokens", "8", "--teacher-tokens", "512", "--warmup-tokens", "0", "--device", "cpu", "--json"));
        args.addAll(List.of(mode));
        args.add(0, "eval");
        BenchCli.Run r = BenchCli.run(args.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }
}
