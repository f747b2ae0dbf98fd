package dev.offramp.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Policy names → factories; turns spec text into a policy and fails fast, naming the problem, on anything else. */
public final class PolicyRegistry {
    private final Map<String, PolicyFactory> factories;
    private final List<String> names;

    public PolicyRegistry(List<PolicyFactory> factories) {
        Map<String, PolicyFactory> byName = new LinkedHashMap<>();
        for (PolicyFactory f : factories) {
            if (byName.putIfAbsent(f.name(), f) != null) {
                throw new IllegalArgumentException("policy names expected unique, found '" + f.name() + "' twice");
            }
        }
        this.factories = Map.copyOf(byName);
        this.names = List.copyOf(byName.keySet());
    }

    /** Every policy in this module. */
    public static PolicyRegistry standard() {
        return new PolicyRegistry(List.of(
                PolicyFactory.withLayerKeys("confidence", List.of("threshold"),
                        p -> ThresholdPolicy.confidence(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("margin", List.of("threshold"),
                        p -> ThresholdPolicy.margin(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("entropy", List.of("threshold"),
                        p -> ThresholdPolicy.entropy(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("saturation", List.of("threshold"),
                        p -> ThresholdPolicy.saturation(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys(PatiencePolicy.NAME, List.of("layers"),
                        p -> new PatiencePolicy(p.integer("layers", 2), p.layers())),
                PolicyFactory.withLayerKeys(ConsistencyPolicy.NAME, List.of("threshold", "window"),
                        p -> new ConsistencyPolicy(p.number("threshold", 0.8f), p.integer("window", 4), p.layers())),
                PolicyFactory.withLayerKeys(DecayingPolicy.NAME, List.of("threshold", "tau", "horizon"),
                        p -> new DecayingPolicy(p.number("threshold"), p.number("tau", 4), p.integer("horizon", 64),
                                p.layers())),
                new PolicyFactory(StaticPolicy.NAME, List.of("layer"), p -> new StaticPolicy(p.integer("layer")))));
    }

    /** The leaf policy names, in registration order. */
    public List<String> names() {
        return names;
    }

    /** Parses and builds {@code spec}; every problem is a {@link PolicySpecException}. */
    public ExitPolicy parse(String spec) {
        return build(PolicySpec.parse(spec));
    }

    public ExitPolicy build(PolicySpec spec) {
        if (spec instanceof PolicySpec.Composite c) {
            List<ExitPolicy> children = new ArrayList<>();
            for (PolicySpec child : c.children()) {
                children.add(build(child));
            }
            return switch (c.name()) {
                case "all" -> CompositePolicy.all(children);
                case "any" -> CompositePolicy.any(children);
                default -> CompositePolicy.quorum(c.required(), children);
            };
        }
        PolicySpec.Leaf leaf = (PolicySpec.Leaf) spec;
        PolicyFactory factory = factories.get(leaf.name());
        if (factory == null) {
            throw new PolicySpecException("unknown policy '" + leaf.name() + "', expected one of " + names
                    + " or a composite all(…), any(…), quorum(n, …)");
        }
        for (String key : leaf.params().keySet()) {
            if (!factory.keys().contains(key)) {
                throw new PolicySpecException(leaf.name() + ": unknown key '" + key + "', expected one of "
                        + factory.keys());
            }
        }
        try {
            return factory.create().apply(new PolicyParams(leaf.name(), leaf.params()));
        } catch (IllegalArgumentException e) {
            throw e instanceof PolicySpecException known ? known : new PolicySpecException(e.getMessage(), e);
        }
    }
}
