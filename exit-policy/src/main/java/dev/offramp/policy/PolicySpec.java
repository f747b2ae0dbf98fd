package dev.offramp.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed policy spec, before any policy is built: {@code name[:key=value,…]}, or {@code all(spec, …)},
 * {@code any(spec, …)}, {@code quorum(n, spec, …)} nested up to 16 deep, in at most 4,096 characters;
 * {@link PolicyRegistry} builds the policy.
 */
public sealed interface PolicySpec {
    /**
     * The composite names; every other name is a leaf policy. {@code strict(spec)} is one policy as given: the engine
     * never thins its schedule (it still reports checks that do not pay).
     */
    List<String> COMPOSITES = List.of("all", "any", "quorum", "strict");

    /** Parses the text; throws {@link PolicySpecException} naming the problem and where it is. */
    static PolicySpec parse(String text) {
        return new SpecParser(text).parse();
    }

    /** A policy name and its parameters as written, in order. */
    record Leaf(String name, Map<String, String> params) implements PolicySpec {
        public Leaf {
            Objects.requireNonNull(name, "name");
            params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        }
    }

    /** {@code all}, {@code any} or {@code quorum} over its children; {@code required} children must vote exit. */
    record Composite(String name, int required, List<PolicySpec> children) implements PolicySpec {
        public Composite {
            children = List.copyOf(children);
            if (!COMPOSITES.contains(name)) {
                throw new PolicySpecException("expected a composite in " + COMPOSITES + ", found '" + name + "'");
            }
            if (children.isEmpty()) {
                throw new PolicySpecException(name + ": expected at least one child spec, found none");
            }
            if (name.equals("quorum") && (required < 1 || required > children.size())) {
                throw new PolicySpecException("quorum: n expected in [1, " + children.size() + "], found " + required);
            }
            if (name.equals("strict") && children.size() != 1) {
                throw new PolicySpecException("strict: expected exactly one child spec, found " + children.size());
            }
            int expected = name.equals("all") ? children.size() : name.equals("any") || name.equals("strict") ? 1
                    : required;
            if (required != expected) {
                throw new PolicySpecException(name + ": required expected " + expected + ", found " + required);
            }
        }
    }
}
