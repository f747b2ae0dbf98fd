package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EvalCommand.run(new String[] {"--text", TEXT, "--prompt", "x"}, Path.of(MODEL), Path.of(TEXT),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --prompt");
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EvalCommand.run(args.toArray(String[]::new), Path.of(model), Path.of(TEXT),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }
}
