package dev.offramp.server.http;

import dev.offramp.server.serve.Job;
import dev.offramp.model.tokenize.TextTokenizer;
import dev.offramp.policy.LayerSignals;
import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.server.serve.Wire;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/generate}: the native route with the per-token trace (id, text, exit layer, the signals its policy
 * used), timing and the budget outcome. Streamed, each event is one token and the last event is the whole trace.
 */
final class GenerateHandler implements Route.Handler {
    private final ModelWorker engine;

    GenerateHandler(ModelWorker engine) {
        this.engine = engine;
    }

    @Override
    public void handle(Exchange ex) {
        ClientRequest k = RequestReader.generate(Fields.of(ex.json().read(ex.body()), ""));
        engine.checkModel(k.model());
        String id = "gen-" + UUID.randomUUID();
        List<Wire.TokenOut> tokens = new ArrayList<>();  // engine thread only, until the job is done
        Job.Sink sink = new Job.Sink() {
            @Override
            public void start() {
                if (k.stream()) {
                    ex.startStream();
                }
            }

            @Override
            public void token(int tokenId, int exitLayer, LayerSignals signals, TextTokenizer tokenizer,
                    String delta) {
                Wire.TokenOut t = new Wire.TokenOut(tokenId, tokenizer.decode(new int[] {tokenId}), exitLayer,
                        Wire.Signals.of(signals));
                tokens.add(t);
                if (k.stream()) {
                    ex.event(t);
                }
            }
        };
        Replies.submit(engine, ex, k, sink, out -> trace(id, out, tokens),
                out -> List.of(trace(id, out, tokens)));
    }

    private Wire.Generated trace(String id, Job.Outcome out, List<Wire.TokenOut> tokens) {
        var r = out.result();
        return new Wire.Generated(id, engine.modelId(), out.text(), out.finishReason(), out.promptIds(),
                List.copyOf(tokens), r.layersComputed(), r.exitChecks(), r.drafted(), r.accepted(), out.mode(),
                out.timing(), out.budget(), out.cascade(), out.usage(), r.checkCost());
    }
}
