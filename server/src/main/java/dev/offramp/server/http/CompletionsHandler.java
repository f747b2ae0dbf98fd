package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.UUID;

/** {@code POST /v1/completions}: OpenAI's completion, whole or streamed as server-sent events. */
final class CompletionsHandler implements Route.Handler {
    private static final String OBJECT = "text_completion";
    private final Engine engine;

    CompletionsHandler(Engine engine) {
        this.engine = engine;
    }

    @Override
    public void handle(Exchange ex) {
        Knobs k = Knobs.completion(Fields.of(ex.json().read(ex.body()), ""));
        engine.checkModel(k.model());
        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = engine.modelId();
        Generation.Sink sink = !k.stream() ? Generation.NO_SINK : new Generation.Sink() {
            @Override
            public void start() {
                ex.startStream();
            }

            @Override
            public void token(int tokenId, int exitLayer, String delta) {
                if (!delta.isEmpty()) {
                    ex.event(chunk(id, created, model, new Wire.Choice(0, delta, null, null), null));
                }
            }
        };
        engine.submit(m -> Generation.run(m, k, sink, ex::disconnected)).whenComplete((out, failure) -> {
            if (failure != null) {
                ex.fail(failure);
            } else if (k.stream()) {
                ex.event(chunk(id, created, model,
                        new Wire.Choice(0, out.tail(), out.finishReason(), out.summary()), out.usage()));
                ex.endStream();
            } else {
                ex.respond(HttpResponseStatus.OK, chunk(id, created, model,
                        new Wire.Choice(0, out.text(), out.finishReason(), out.summary()), out.usage()));
            }
        });
    }

    private static Wire.Completion chunk(String id, long created, String model, Wire.Choice choice,
                                         Wire.Usage usage) {
        return new Wire.Completion(id, OBJECT, created, model, List.of(choice), usage);
    }
}
