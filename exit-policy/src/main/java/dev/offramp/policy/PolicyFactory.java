package dev.offramp.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the registry builds one leaf policy: its spec name, the keys it allows (anything else is rejected before
 * {@code create} runs), and the constructor call, which reads required keys and defaults through {@link PolicyParams}.
 */
public record PolicyFactory(String name, List<String> keys, Function<PolicyParams, ExitPolicy> create) {
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
    }

    /** A policy with its own {@code keys} plus {@link #LAYER_KEYS}. */
    public static PolicyFactory withLayerKeys(String name, List<String> keys,
                                              Function<PolicyParams, ExitPolicy> create) {
        List<String> all = new ArrayList<>(keys);
        all.addAll(LAYER_KEYS);
        return new PolicyFactory(name, all, create);
    }
}
