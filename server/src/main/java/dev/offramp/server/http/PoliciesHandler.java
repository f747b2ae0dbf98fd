package dev.offramp.server.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.offramp.policy.PolicyDoc;
import dev.offramp.policy.PolicyFactory;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.PolicySpecException;
import dev.offramp.server.serve.ModelWorker;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /v1/policies}: the policies a request's {@code early_exit.policy} may name (built-in and plug-in), with
 * their keys, papers and a spec that runs, and the composites; what the playground's policy picker is filled from.
 * Answered on the event loop: the listing is made once, and only the model's depth is read per request.
 */
final class PoliciesHandler implements Route.Handler {
    /** A leaf policy; a plug-in without a {@link PolicyDoc} has only its name and key names. */
    record Card(String name, String summary, String paper, String example, List<String> signals, List<Key> keys) {}

    /** One spec key; {@code default} is what a spec without it takes (null: required, or an alternative form). */
    record Key(String name, boolean required, @JsonProperty("default") String defaultValue, String meaning) {}

    record Composite(String name, String syntax, String meaning) {}

    /**
     * @param grammar    how a spec is written
     * @param modelLayers the served model's depth (the range of the layer keys); null until the server is ready
     */
    record Listing(String object, String grammar, Integer modelLayers, List<Card> data, List<Composite> composites) {}

    static final List<Composite> COMPOSITES = List.of(
            new Composite("all", "all(spec, …)", "exits when every child policy would"),
            new Composite("any", "any(spec, …)", "exits when any child policy would"),
            new Composite("quorum", "quorum(n, spec, …)", "exits when at least n child policies would"));

    private final ModelWorker engine;
    private final List<Card> cards;

    PoliciesHandler(ModelWorker engine, PolicyRegistry registry) {
        this.engine = engine;
        this.cards = registry.factories().stream().map(f -> card(f, registry)).toList();
    }

    @Override
    public void handle(Exchange ex) {
        // Never waits for a model still loading: the event loop must not block.
        Integer layers = engine.ready() ? engine.awaitLoaded().config().layers() : null;
        ex.respond(HttpResponseStatus.OK, new Listing("list", "name[:key=value,…], or a composite of specs",
                layers, cards, COMPOSITES));
    }

    private static Card card(PolicyFactory f, PolicyRegistry registry) {
        PolicyDoc doc = f.doc();
        if (doc == null) {
            return new Card(f.name(), null, null, null, null, f.keys().stream()
                    .map(k -> new Key(k, false, null, null)).toList());
        }
        return new Card(f.name(), doc.summary(), doc.paper(), doc.example(), signals(doc.example(), registry),
                doc.keys().stream().map(k -> new Key(k.name(), k.required(), k.defaultValue(), k.meaning())).toList());
    }

    /** The {@code Signal}s the policy asks for, as the native trace names them ({@code top1_prob}, {@code cosine}). */
    private static List<String> signals(String example, PolicyRegistry registry) {
        try {
            return registry.parse(example).schedule().signals().stream().sorted()
                    .map(s -> s.name().toLowerCase(Locale.ROOT)).toList();
        } catch (PolicySpecException e) {
            return null;  // a plug-in's example that does not parse: its signals are not known
        }
    }
}
