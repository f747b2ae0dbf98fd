package dev.offramp.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A policy in words, for a person choosing one ({@code GET /v1/policies}, the playground): what it does, where it
 * comes from, a spec that runs as written, and what each key means.
 *
 * @param summary when the policy exits, in one sentence
 * @param paper   the source it follows (authors, year, title), or null for one of this project's own
 * @param example a spec that parses as written, e.g. {@code confidence:threshold=0.9,min_layer=3}; null for a policy
 *                whose spec names a file its user makes (a learned gate from {@code train-gate}): no spec runs as
 *                written everywhere
 */
public record PolicyDoc(String summary, String paper, String example, List<Key> keys) {
    /** What {@link PolicyFactory#withLayerKeys} adds: where a policy looks. */
    static final List<Key> LAYER_KEYS = List.of(
            Key.optional("min_layer", "1", "the first layer checked"),
            Key.optional("every", "1", "check every n-th layer from min_layer"),
            Key.optional("at", null, "the layers checked, e.g. 3;6;9 (instead of min_layer and every)"));

    /**
     * One key of a spec.
     *
     * @param required     a spec without it is refused
     * @param defaultValue the value taken when it is left out, as a spec writes it; null when required or when
     *                     leaving it out means something else (an alternative form)
     */
    public record Key(String name, boolean required, String defaultValue, String meaning) {
        public Key {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(meaning, "meaning");
            if (required && defaultValue != null) {
                throw new IllegalArgumentException("key " + name + ": expected a default or required, found both");
            }
        }

        public static Key required(String name, String meaning) {
            return new Key(name, true, null, meaning);
        }

        public static Key optional(String name, String defaultValue, String meaning) {
            return new Key(name, false, defaultValue, meaning);
        }
    }

    public PolicyDoc {
        Objects.requireNonNull(summary, "summary");
        keys = List.copyOf(keys);
    }

    /** This doc with {@link #LAYER_KEYS} after its own keys. */
    PolicyDoc withLayerKeys() {
        List<Key> all = new ArrayList<>(keys);
        all.addAll(LAYER_KEYS);
        return new PolicyDoc(summary, paper, example, all);
    }
}
