package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code serve --model X.gguf} as a user runs it, in its own JVM: it serves what the same model's .bin generates. */
class ServeGgufTest {
    private static final Path DIR = Path.of("../../shared/models/stories260K");
    private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+)");

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
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process serve = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                "dev.offramp.server.Main", "serve", "--model", DIR.resolve("stories260K.gguf").toString(),
                "--port", "0", "--threads", "1", "--kernels", "f32").redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(),
                StandardCharsets.UTF_8))) {
            String base = null;
            for (String line = out.readLine(); line != null && !line.contains("ready, serving"); line = out.readLine()) {
                output.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    base = m.group(1);
                }
            }
            assertThat(base).as("serve's output:%n%s", String.join("\n", output)).isNotNull();

            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K.gguf\",\"prompt\":"
                            + "\"Once upon a time\",\"max_tokens\":24}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = new ObjectMapper().readTree(r.body());
            assertThat(body.get("model").asText()).isEqualTo("stories260K.gguf");
            assertThat(body.get("choices").get(0).get("text").asText()).isNotBlank().isEqualTo(want);
        } finally {
            serve.destroy();
            serve.waitFor();
        }
    }
}
