package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** stories260K through our engine against what llama2.c's run.c generated (../shared/fixtures/llama2c). */
class Llama2cParityTest {
    /** The reference kernels, and float16 ones: measured, both give run.c's greedy ids on all five prompts. */
    @ParameterizedTest
    @ValueSource(strings = {"f32/linear/1t", "f16/linear/2t", "f16/matmul/1t", "f32/vector/1t", "f32/vector/2t"})
    void promptIdsAndGreedyIdsMatchRunC(String kernel) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(
                Reference.SHARED.resolve("fixtures/llama2c/llama2c_reference.json").toFile());
        Path bin = Reference.SHARED.resolve("models/stories260K/stories260K.bin");
        try (LoadedModel model = LoadedModel.open(bin, null, DjlRuntime.start(1), DeviceChoice.CPU,
                KernelOptions.pinned(Kernel.parse(kernel)))) {
            Generator gen = new Generator(model.transformer(), System::nanoTime);
            int cases = 0;
            for (JsonNode c : ref.get("cases")) {
                int[] wantPrompt = ints(c.get("prompt_ids_with_bos"));
                int[] wantIds = ints(c.get("greedy_ids"));
                int[] prompt = model.tokenizer().encode(c.get("prompt").asText());
                assertThat(prompt).as("prompt ids of %s", c.get("prompt")).containsExactly(wantPrompt);
                // run.c: 64 positions in all, so 64 - prompt + 1 new tokens at most; it stops early at BOS.
                int budget = 64 - prompt.length + 1;
                GenerationResult r = gen.generate(new GenerationRequest(prompt, budget, 0f, 0L, new Mode.Full(), true));
                assertThat(r.ids()).as("greedy ids of %s", c.get("prompt")).containsExactly(wantIds);
                cases++;
            }
            assertThat(cases).isEqualTo(5);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
