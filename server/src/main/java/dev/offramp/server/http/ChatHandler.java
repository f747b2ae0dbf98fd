package dev.offramp.server.http;

import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.server.serve.Wire;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions}: OpenAI's chat completion. The messages become one prompt through the model's
 * chat template ({@link ChatTemplate}); streamed, the first chunk carries the assistant role, the rest the content.
 */
final class ChatHandler implements Route.Handler {
    private static final String OBJECT = "chat.completion";
    private static final String CHUNK = "chat.completion.chunk";
    private final ModelWorker engine;

    ChatHandler(ModelWorker engine) {
        this.engine = engine;
    }

    @Override
    public void handle(Exchange ex) {
        ClientRequest k = RequestReader.chat(Fields.of(ex.json().read(ex.body()), ""), engine.chatTemplate());
        engine.checkModel(k.model());
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = engine.modelId();
        Job.Sink sink = !k.stream() ? Job.NO_SINK : Job.Sink.text(() -> {
            ex.startStream();
            ex.event(chunk(id, created, model, new Wire.Delta("assistant", ""), null, null, null));
        }, delta -> ex.event(chunk(id, created, model, new Wire.Delta(null, delta), null, null, null)));
        Replies.submit(engine, ex, k, sink,
                out -> new Wire.ChatCompletion(id, OBJECT, created, model,
                        List.of(new Wire.ChatChoice(0, new Wire.ChatMessage("assistant", out.text()),
                                out.finishReason(), out.summary())), out.usage(), out.budget()),
                out -> {
                    List<Object> last = new ArrayList<>();
                    last.add(chunk(id, created, model, new Wire.Delta(null, out.tail()), out.finishReason(),
                            out.summary(), out.budget()));
                    if (k.includeUsage()) {
                        last.add(new Wire.ChatChunk(id, CHUNK, created, model, List.of(), out.usage(), null));
                    }
                    return last;
                });
    }

    private static Wire.ChatChunk chunk(String id, long created, String model, Wire.Delta delta, String finish,
                                        Wire.ExitSummary summary, Job.Budget budget) {
        return new Wire.ChatChunk(id, CHUNK, created, model, List.of(new Wire.ChunkChoice(0, delta, finish, summary)),
                null, budget);
    }
}
