package dev.offramp.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the registry builds one leaf policy: its spec name, the keys it allows (anything else is rejected before
 * {@code create} runs), and the constructor call, which reads required keys and defaults through {@link PolicyParams}.
 *
 * @param doc the policy in words, one entry per key in the order of {@code keys}; null when undocumented (a plug-in
 *            may leave it out)
 */
public record PolicyFactory(String name, List<String> keys, Function<PolicyParams, ExitPolicy> create,
                            PolicyDoc doc) {
    /** The keys every policy that looks at a {@link LayerSet} accepts. */
    public static final List<String> LAYER_KEYS = List.of("min_layer", "every", "at");

    public PolicyFactory {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(create, "create");
        if (!name.matches("[a-z][a-z0-9_-]*") || PolicySpec.COMPOSITES.contains(name)) {
            throw new IllegalArgumentException("policy name expected [a-z][a-z0-9_-]* and not a composite, found '"
                    + name + "'");
        }
        keys = List.copyOf(keys);
        // The doc describes exactly the keys the registry accepts, or a listing would promise keys that are refused.
        if (doc != null && !doc.keys().stream().map(PolicyDoc.Key::name).toList().equals(keys)) {
            throw new IllegalArgumentException("policy " + name + ": doc keys expected " + keys + ", found "
                    + doc.keys().stream().map(PolicyDoc.Key::name).toList());
        }
    }

    /** An undocumented policy (as plug-ins written before {@link PolicyDoc} build theirs). */
    public PolicyFactory(String name, List<String> keys, Function<PolicyParams, ExitPolicy> create) {
        this(name, keys, create, null);
    }

    /** A policy with its own {@code keys} plus {@link #LAYER_KEYS}. */
    public static PolicyFactory withLayerKeys(String name, List<String> keys,
                                              Function<PolicyParams, ExitPolicy> create) {
        return new PolicyFactory(name, withLayers(keys), create, null);
    }

    /** A documented policy with its own keys (those of {@code doc}) plus {@link #LAYER_KEYS}. */
    public static PolicyFactory withLayerKeys(String name, PolicyDoc doc, Function<PolicyParams, ExitPolicy> create) {
        return new PolicyFactory(name, withLayers(doc.keys().stream().map(PolicyDoc.Key::name).toList()), create,
                doc.withLayerKeys());
    }

    private static List<String> withLayers(List<String> keys) {
        List<String> all = new ArrayList<>(keys);
        all.addAll(LAYER_KEYS);
        return all;
    }
}
