package dev.offramp.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --cascade-members} across real members: stories260K's first 3 layers, kjv-ee-12l (another tokenizer:
 * the prompt goes over as text) and, last, a second {@code serve} process on 127.0.0.1 reached as an OpenAI-compatible
 * endpoint. A rule every answer exceeds defers each request along the whole chain; once the remote server is stopped
 * the cascade keeps serving, answering with kjv-ee-12l's answer and saying why.
 */
class ServedCascadeTest {
    static final Path SHARED = Path.of("../../shared");
    static final Path STORIES = SHARED.resolve("models/stories260K/stories260K.bin");
    static final Path KJV = SHARED.resolve("models/kjv-ee-12l");
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROMPT = "And God said";

    @Test
    void aCascadeOfThreeMembersDefersAlongThemAndOutlivesItsRemoteMember() throws Exception {
        int[] kjvIds;
        try (LoadedModel kjv = LoadedModel.open(KJV, null, DjlRuntime.start(1), DeviceChoice.CPU)) {
            kjvIds = new Generator(kjv.transformer(), System::nanoTime).generate(new GenerationRequest(
                    kjv.tokenizer().encode(PROMPT), 8, 0f, 0L, new Mode.Full(), true)).ids();
        }
        ServeProcess remote = ServeProcess.start("--model", STORIES.toString(), "--threads", "1");
        String url = remote.base() + "/v1";
        try (ServeProcess cascade = ServeProcess.start("--model", STORIES.toString(), "--threads", "1",
                "--cascade-members", STORIES + ":3," + KJV + "," + url, "--cascade-rule", "chow-average",
                "--cascade-threshold", "-1", "--cascade-remote-timeout-s", "20")) {
            String body = "{\"prompt\":\"" + PROMPT + "\",\"max_tokens\":8,\"early_exit\":{\"mode\":\"cascade\"}}";
            JsonNode direct = JSON.readTree(remote.post("/v1/completions", "{\"prompt\":\"" + PROMPT
                    + "\",\"max_tokens\":8}").body());

            HttpResponse<String> r = cascade.post("/v1/generate", body);
            ServeProcess.assertOk(r);
            JsonNode c = JSON.readTree(r.body()).get("cascade");
            assertThat(c.get("answered_by").asText()).isEqualTo(url);
            assertThat(members(c)).containsExactly("stories260K.bin:3", "kjv-ee-12l", url);
            assertThat(c.get("tried").get(0).get("deferred").asBoolean()).isTrue();
            assertThat(c.get("tried").get(1).get("deferred").asBoolean()).isTrue();
            assertThat(JSON.readTree(r.body()).get("text").asText())
                    .isEqualTo(direct.get("choices").get(0).get("text").asText());
            assertThat(JSON.readTree(r.body()).get("usage").get("completion_tokens").asInt()).isEqualTo(8);

            remote.close();  // the larger member goes down mid-test
            HttpResponse<String> after = cascade.post("/v1/generate", body);
            ServeProcess.assertOk(after);
            JsonNode out = JSON.readTree(after.body());
            c = out.get("cascade");
            assertThat(c.get("answered_by").asText()).isEqualTo("kjv-ee-12l");
            assertThat(c.get("reason").asText()).startsWith(url + " failed (" + url + " could not be reached")
                    .endsWith("answered by kjv-ee-12l");
            assertThat(c.get("tried").get(2).get("failure").asText()).contains("could not be reached");
            List<Integer> ids = new ArrayList<>();
            out.get("tokens").forEach(t -> ids.add(t.get("id").asInt()));
            assertThat(ids).as("kjv-ee-12l's own answer to the prompt as text")
                    .containsExactly(java.util.Arrays.stream(kjvIds).boxed().toArray(Integer[]::new));

            HttpResponse<String> streamed = cascade.post("/v1/completions", body.replace("}}", "},\"stream\":true}"));
            ServeProcess.assertOk(streamed);
            assertThat(streamed.body()).contains("data: [DONE]");

            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cascade.base()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scrape)
                    .contains("offramp_cascade_deferrals_total{from=\"stories260K.bin:3\",model=\"stories260K.bin\","
                            + "to=\"kjv-ee-12l\"} 3.0")
                    .contains("offramp_cascade_deferrals_total{from=\"kjv-ee-12l\",model=\"stories260K.bin\",to=\""
                            + url + "\"} 3.0")
                    .contains("offramp_cascade_answered_total{member=\"" + url + "\",model=\"stories260K.bin\"} 1.0")
                    .contains("offramp_cascade_answered_total{member=\"kjv-ee-12l\",model=\"stories260K.bin\"} 2.0")
                    // the kjv-ee-12l member's own engine, in the same scrape
                    .contains("offramp_generation_tokens_total{mode=\"full\",model=\"kjv-ee-12l\"}");
        } finally {
            remote.close();
        }
    }

    private static List<String> members(JsonNode cascade) {
        List<String> names = new ArrayList<>();
        cascade.get("tried").forEach(t -> names.add(t.get("member").asText()));
        return names;
    }
}
