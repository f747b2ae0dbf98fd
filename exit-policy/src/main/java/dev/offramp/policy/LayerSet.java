package dev.offramp.policy;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The layers (1-based) a policy checks, as a rule over the model's depth, which a policy does not know upfront.
 * The sets built by {@link #range} and {@link #of} print their spec keys ({@code min_layer=3,every=2},
 * {@code at=3;6;9}) from {@code toString()}, so a policy holding one prints a spec that parses back.
 */
@FunctionalInterface
public interface LayerSet {
    boolean contains(int layer, int totalLayers);

    /** {@code minLayer, minLayer + every, …}: the spec keys {@code min_layer} and {@code every}. */
    static LayerSet range(int minLayer, int every) {
        return new Range(minLayer, every);
    }

    /** An explicit set: the spec key {@code at}. */
    static LayerSet of(int... layers) {
        return new At(Arrays.stream(layers).boxed().toList());
    }

    default LayerSet or(LayerSet other) {
        Objects.requireNonNull(other, "other");
        return (layer, total) -> contains(layer, total) || other.contains(layer, total);
    }

    /** Every {@code every}-th layer from {@code minLayer} on; prints only keys that differ from the defaults (1, 1). */
    record Range(int minLayer, int every) implements LayerSet {
        public Range {
            if (minLayer < 1) {
                throw new IllegalArgumentException("min_layer expected >= 1, found " + minLayer);
            }
            if (every < 1) {
                throw new IllegalArgumentException("every expected >= 1, found " + every);
            }
        }

        @Override
        public boolean contains(int layer, int totalLayers) {
            return layer >= minLayer && (layer - minLayer) % every == 0;
        }

        @Override
        public String toString() {
            String min = minLayer == 1 ? "" : "min_layer=" + minLayer;
            String step = every == 1 ? "" : "every=" + every;
            return min.isEmpty() || step.isEmpty() ? min + step : min + "," + step;
        }
    }

    /** Exactly these layers, kept sorted and distinct. */
    record At(List<Integer> layers) implements LayerSet {
        public At {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("at expected at least one layer, found none");
            }
            for (int l : layers) {
                if (l < 1) {
                    throw new IllegalArgumentException("at expected layers >= 1, found " + l);
                }
            }
            layers = layers.stream().sorted().distinct().toList();
        }

        @Override
        public boolean contains(int layer, int totalLayers) {
            return layers.contains(layer);
        }

        @Override
        public String toString() {
            return "at=" + String.join(";", layers.stream().map(String::valueOf).toList());
        }
    }
}
