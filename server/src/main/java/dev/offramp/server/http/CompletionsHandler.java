package dev.offramp.server.http;

import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.server.serve.Wire;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** {@code POST /v1/completions}: OpenAI's completion, whole or streamed as server-sent events. */
final class CompletionsHandler implements Route.Handler {
    private static final String OBJECT = "text_completion";
    private final ModelWorker engine;

    CompletionsHandler(ModelWorker engine) {
        this.engine = engine;
    }

    @Override
    public void handle(Exchange ex) {
        ClientRequest k = RequestReader.completion(Fields.of(ex.json().read(ex.body()), ""));
        engine.checkModel(k.model());
        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = engine.modelId();
        Job.Sink sink = !k.stream() ? Job.NO_SINK : Job.Sink.text(ex::startStream, delta -> ex.event(
                new Wire.Completion(id, OBJECT, created, model, List.of(new Wire.Choice(0, delta, null, null)), null,
                        null)));
        Replies.submit(engine, ex, k, sink,
                out -> new Wire.Completion(id, OBJECT, created, model,
                        List.of(new Wire.Choice(0, out.text(), out.finishReason(), out.summary())), out.usage(),
                        out.budget()),
                out -> {
                    List<Object> last = new ArrayList<>();
                    last.add(new Wire.Completion(id, OBJECT, created, model,
                            List.of(new Wire.Choice(0, out.tail(), out.finishReason(), out.summary())), null,
                            out.budget()));
                    if (k.includeUsage()) {
                        last.add(new Wire.Completion(id, OBJECT, created, model, List.of(), out.usage(), null));
                    }
                    return last;
                });
    }
}
