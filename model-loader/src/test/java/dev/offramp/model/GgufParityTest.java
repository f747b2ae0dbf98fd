package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** stories260K.gguf (its weights and embedded tokenizer) against the same model's llama2.c .bin and tok512.bin. */
class GgufParityTest {
    private static final Path DIR = Reference.SHARED.resolve("models/stories260K");
    private static LoadedModel bin;
    private static LoadedModel gguf;
    private static List<String> prompts;

    @BeforeAll
    static void open() throws Exception {
        DjlRuntime runtime = DjlRuntime.start(1);
        bin = LoadedModel.open(DIR.resolve("stories260K.bin"), null, runtime, DeviceChoice.CPU);
        gguf = LoadedModel.open(DIR.resolve("stories260K.gguf"), null, runtime, DeviceChoice.CPU);
        prompts = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(
                Reference.SHARED.resolve("fixtures/llama2c/llama2c_reference.json").toFile()).get("cases")) {
            prompts.add(c.get("prompt").asText());
        }
    }

    @AfterAll
    static void close() {
        bin.close();
        gguf.close();
    }

    @Test
    void theConfigIsTheBinsButForWhatTheGgufSays() {
        ModelConfig b = bin.config();
        ModelConfig g = gguf.config();
        assertThat(g).usingRecursiveComparison()
                .ignoringFields("architecture", "contextLength", "tiedHead", "stopIds").isEqualTo(b);
        assertThat(g.contextLength()).as("llama.context_length, though trained at 512").isEqualTo(2048);
        assertThat(g.stopIds()).containsExactly(2, 1);
    }

    @Test
    void promptIdsGreedyIdsAndTextEqualTheBins() {
        Generator fromBin = new Generator(bin.transformer(), System::nanoTime);
        Generator fromGguf = new Generator(gguf.transformer(), System::nanoTime);
        for (String prompt : prompts) {
            int[] ids = bin.tokenizer().encode(prompt);
            assertThat(gguf.tokenizer().encode(prompt)).as("prompt ids of %s", prompt).containsExactly(ids);
            GenerationResult want = fromBin.generate(GenerationRequest.greedy(ids, 64 - ids.length + 1));
            GenerationResult got = fromGguf.generate(GenerationRequest.greedy(ids, 64 - ids.length + 1));
            assertThat(got.ids()).as("greedy ids of %s", prompt).isNotEmpty().containsExactly(want.ids());
            assertThat(gguf.tokenizer().decode(got.ids())).isEqualTo(bin.tokenizer().decode(want.ids()));
        }
    }

    @Test
    void everyLayersHiddenStateAndLogitsMatchTheBinsAtTheFloat32Tolerance() {
        int layers = bin.config().layers();
        for (String prompt : prompts) {
            int[] ids = bin.tokenizer().encode(prompt);
            try (Sequence bs = bin.transformer().newSequence(); Step b = bin.transformer().step(bs, ids);
                 Sequence gs = gguf.transformer().newSequence(); Step g = gguf.transformer().step(gs, ids)) {
                for (int l = 1; l <= layers; l++) {
                    b.runLayer(l);
                    g.runLayer(l);
                    assertThat(HfFixtureParityTest.relErr(g.hidden(0), b.hidden(0), 0))
                            .as("%s layer %d hidden", prompt, l).isLessThan(HfFixtureParityTest.F32_TOLERANCE);
                    assertThat(HfFixtureParityTest.relErr(g.exitLogitsAll(0), b.exitLogitsAll(0), 0))
                            .as("%s layer %d logits", prompt, l).isLessThan(HfFixtureParityTest.F32_TOLERANCE);
                }
            }
        }
    }
}
