package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * langchain4j's OpenAI chat models ({@code dev.langchain4j:langchain4j-open-ai}), a real Java client, against the
 * server on a real socket: whole and streamed, each checked against the server's own answer to the same request.
 */
class LangChain4jClientTest {
    static final String MODEL_ID = "stories260K.bin";
    static final List<ChatMessage> MESSAGES = List.of(SystemMessage.from("You tell stories."),
            UserMessage.from("Tell me a story."));
    static final String MESSAGES_JSON = "[{\"role\":\"system\",\"content\":\"You tell stories.\"},"
            + "{\"role\":\"user\",\"content\":\"Tell me a story.\"}]";
    static final int MAX_TOKENS = 16;
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    static String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    /** What the server itself answers to the same chat request, read as plain JSON. */
    static JsonNode direct() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(baseUrl() + "/chat/completions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL_ID + "\",\"messages\":"
                        + MESSAGES_JSON + ",\"max_tokens\":" + MAX_TOKENS + ",\"temperature\":0}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    static OpenAiChatModel chatModel(String model) {
        return OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName(model).temperature(0.0)
                .maxTokens(MAX_TOKENS).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void chatModelGetsTheServersAnswer() throws Exception {
        JsonNode want = direct();
        ChatResponse r = chatModel(MODEL_ID).chat(MESSAGES);

        JsonNode choice = want.get("choices").get(0);
        assertThat(r.aiMessage().text()).isNotBlank().isEqualTo(choice.get("message").get("content").asText());
        assertThat(r.finishReason()).isEqualTo(finishReason(choice.get("finish_reason").asText()));
        assertThat(r.tokenUsage().outputTokenCount()).isPositive()
                .isEqualTo(want.get("usage").get("completion_tokens").asInt());
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(want.get("usage").get("prompt_tokens").asInt());
        assertThat(r.metadata().modelName()).isEqualTo(MODEL_ID);
    }

    @Test
    void streamingChatModelGetsTheSameAnswerChunkByChunk() throws Exception {
        JsonNode want = direct();
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName(MODEL_ID).temperature(0.0).maxTokens(MAX_TOKENS).timeout(Duration.ofSeconds(60)).build();
        List<String> partials = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(MESSAGES, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);

        JsonNode choice = want.get("choices").get(0);
        String text = choice.get("message").get("content").asText();
        assertThat(partials).as("one partial per streamed token").hasSizeGreaterThan(1);
        assertThat(String.join("", partials)).isNotBlank().isEqualTo(text);
        assertThat(r.aiMessage().text()).isEqualTo(text);
        assertThat(r.finishReason()).isEqualTo(finishReason(choice.get("finish_reason").asText()));
        assertThat(r.tokenUsage().outputTokenCount()).as("the usage chunk (stream_options.include_usage)")
                .isEqualTo(want.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void anUnknownModelIsTheClientsModelNotFound() {
        assertThatThrownBy(() -> chatModel("no-such-model").chat(MESSAGES))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("no-such-model");
    }

    private static FinishReason finishReason(String openai) {
        return switch (openai) {
            case "stop" -> FinishReason.STOP;
            case "length" -> FinishReason.LENGTH;
            default -> throw new AssertionError("expected finish_reason stop or length, found " + openai);
        };
    }
}
