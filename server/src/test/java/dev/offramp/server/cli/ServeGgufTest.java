package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code serve --model X.gguf} as a user runs it, in its own JVM: it serves what the same model's .bin generates. */
class ServeGgufTest {
    private static final Path DIR = Path.of("../../shared/models/stories260K");

    @Test
    @Timeout(180) // a guard against a server that never says it is ready, not a measurement
    void servesAGgufPathAsTheBinGenerates() throws Exception {
        String want;
        try (LoadedModel bin = LoadedModel.open(DIR.resolve("stories260K.bin"), null, DjlRuntime.start(1),
                DeviceChoice.CPU)) {
            int[] prompt = bin.tokenizer().encode("Once upon a time");
            want = bin.tokenizer().decode(new Generator(bin.transformer(), System::nanoTime)
                    .generate(GenerationRequest.greedy(prompt, 24)).ids());
        }
        try (ServeProcess serve = ServeProcess.start("--model", DIR.resolve("stories260K.gguf").toString(),
                "--threads", "1", "--kernels", "f32")) {
            HttpResponse<String> r = serve.post("/v1/completions",
                    "{\"model\":\"stories260K.gguf\",\"prompt\":\"Once upon a time\",\"max_tokens\":24}");
            ServeProcess.assertOk(r);
            JsonNode body = new ObjectMapper().readTree(r.body());
            assertThat(body.get("model").asText()).isEqualTo("stories260K.gguf");
            assertThat(body.get("choices").get(0).get("text").asText()).isNotBlank().isEqualTo(want);
        }
    }
}
