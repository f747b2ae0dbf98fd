package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.SafetensorsFile;
import dev.offramp.model.io.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken model folders fail with a message that names the file, the tensor or key, and expected versus found. */
class LoadFailureTest {
    private static final Path LLAMA = Reference.SHARED.resolve("fixtures/hf/llama-gqa");

    @TempDir
    Path dir;

    @Test
    void unknownArchitecture() throws Exception {
        copyFixture(t -> t);
        Files.writeString(dir.resolve("config.json"),
                Files.readString(LLAMA.resolve("config.json")).replace("LlamaForCausalLM", "FalconForCausalLM"));
        assertThatThrownBy(this::load).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json").hasMessageContaining("unknown architecture FalconForCausalLM")
                .hasMessageContaining("LlamaForCausalLM");
    }

    @Test
    void missingTensor() throws Exception {
        copyFixture(t -> t.name().equals("model.layers.3.mlp.up_proj.weight") ? null : t);
        assertThatThrownBy(this::load).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("model.layers.3.mlp.up_proj.weight");
    }

    @Test
    void wrongShape() throws Exception {
        copyFixture(t -> t.name().equals("model.layers.0.self_attn.k_proj.weight")
                ? HostTensor.of(t.name(), new long[] {64, 32}, t.toFloatArray()) : t);
        assertThatThrownBy(this::load).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.layers.0.self_attn.k_proj.weight")
                .hasMessageContaining("expected shape [32, 64], found [64, 32]");
    }

    @Test
    void missingConfigField() throws Exception {
        copyFixture(t -> t);
        Files.writeString(dir.resolve("config.json"),
                Files.readString(LLAMA.resolve("config.json")).replace("\"hidden_size\"", "\"hidden_sise\""));
        assertThatThrownBy(this::load).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected an integer hidden_size, found nothing");
    }

    @Test
    void notAModel() {
        assertThatThrownBy(() -> LoadedModel.open(dir.resolve("nothing.gguf"), null, DjlRuntime.start(1),
                DeviceChoice.CPU)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("expected a Hugging Face model folder, a llama2.c .bin file or a .gguf file");
    }

    @Test
    void mistralRunsAsLlamaWithItsSlidingWindowAsContext() throws Exception {
        copyFixture(t -> t);
        Files.writeString(dir.resolve("config.json"), Files.readString(LLAMA.resolve("config.json"))
                .replace("LlamaForCausalLM", "MistralForCausalLM").replace("\"model_type\": \"llama\"",
                        "\"model_type\": \"mistral\", \"sliding_window\": 128"));
        Reference ref = new Reference(LLAMA.resolve("reference.safetensors"));
        try (LoadedModel m = load()) {
            assertThat(m.config().architecture()).isEqualTo("MistralForCausalLM");
            assertThat(m.config().contextLength()).as("window 128 < 256 positions").isEqualTo(128);
            int[] ids = ref.ints("prompt.0.input_ids");
            int[] want = ref.ints("prompt.0.greedy_ids");
            assertThat(new dev.offramp.model.engine.Generator(m.transformer(), System::nanoTime)
                    .generate(dev.offramp.model.engine.GenerationRequest.greedy(ids, want.length)).ids())
                    .containsExactly(want);
        }
    }

    @Test
    void ropeScalingIsRefusedRatherThanIgnored() throws Exception {
        copyFixture(t -> t);
        Files.writeString(dir.resolve("config.json"), Files.readString(LLAMA.resolve("config.json"))
                .replace("\"rope_type\": \"default\"", "\"rope_type\": \"yarn\""));
        assertThatThrownBy(this::load).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("RoPE scaling is not supported").hasMessageContaining("yarn");
    }

    @Test
    void rewrittenFixtureStillLoads() throws Exception {
        copyFixture(t -> t);
        try (LoadedModel m = load()) {
            assertThat(m.config().layers()).isEqualTo(6);
        }
    }

    private LoadedModel load() {
        return LoadedModel.open(dir, null, DjlRuntime.start(1), DeviceChoice.CPU);
    }

    /** Copies the llama-gqa fixture, passing each tensor through {@code edit} (null drops it). */
    private void copyFixture(UnaryOperator<HostTensor> edit) throws Exception {
        for (String f : List.of("config.json", "generation_config.json", "tokenizer.json")) {
            Files.copy(LLAMA.resolve(f), dir.resolve(f));
        }
        SafetensorsFile src = SafetensorsFile.open(LLAMA.resolve("model.safetensors"));
        List<HostTensor> out = new ArrayList<>();
        for (String name : src.names()) {
            HostTensor t = edit.apply(src.tensor(name));
            if (t != null) {
                out.add(t);
            }
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), out);
    }
}
