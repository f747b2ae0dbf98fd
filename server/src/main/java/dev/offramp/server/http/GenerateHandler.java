package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/generate}: the native route with the per-token trace. Streamed, each event is one token
 * ({@code {"id","text","exit_layer"}}) and the last event is the whole trace.
 */
final class GenerateHandler implements Route.Handler {
    private final Engine engine;

    GenerateHandler(Engine engine) {
        this.engine = engine;
    }

    @Override
    public void handle(Exchange ex) {
        Knobs k = Knobs.generate(Fields.of(ex.json().read(ex.body()), ""));
        engine.checkModel(k.model());
        String id = "gen-" + UUID.randomUUID();
        List<Wire.TokenOut> tokens = new ArrayList<>();
        engine.submit(m -> {
            Generation.Sink sink = new Generation.Sink() {
                @Override
                public void start() {
                    if (k.stream()) {
                        ex.startStream();
                    }
                }

                @Override
                public void token(int tokenId, int exitLayer, String delta) {
                    Wire.TokenOut t = new Wire.TokenOut(tokenId, m.tokenizer().decode(new int[] {tokenId}),
                            exitLayer);
                    tokens.add(t);
                    if (k.stream()) {
                        ex.event(t);
                    }
                }
            };
            return Generation.run(m, k, sink, ex::disconnected);
        }).whenComplete((out, failure) -> {
            if (failure != null) {
                ex.fail(failure);
                return;
            }
            var r = out.result();
            Wire.Generated body = new Wire.Generated(id, engine.modelId(), out.text(), out.finishReason(),
                    out.promptIds(), List.copyOf(tokens), r.layersComputed(), r.exitChecks(), r.drafted(),
                    r.accepted(), out.mode(), new Wire.Timing(r.decodeNanos() / 1e6), out.usage());
            if (k.stream()) {
                ex.event(body);
                ex.endStream();
            } else {
                ex.respond(HttpResponseStatus.OK, body);
            }
        });
    }
}
