package dev.offramp.policy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** One leaf spec's {@code key=value} text, read as typed values; every error names the policy and key. */
public final class PolicyParams {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");

    private final String policy;
    private final Map<String, String> values;

    public PolicyParams(String policy, Map<String, String> values) {
        this.policy = policy;
        this.values = Map.copyOf(values);
    }

    /** A required number. */
    public float number(String key) {
        return toNumber(key, required(key));
    }

    public float number(String key, float fallback) {
        String text = values.get(key);
        return text == null ? fallback : toNumber(key, text);
    }

    /** A required integer. */
    public int integer(String key) {
        return toInteger(key, required(key));
    }

    public int integer(String key, int fallback) {
        String text = values.get(key);
        return text == null ? fallback : toInteger(key, text);
    }

    /** A required text value (a file name). */
    public String text(String key) {
        return required(key);
    }

    /** Whether the spec names the layers to look at ({@code at}, {@code min_layer} or {@code every}). */
    public boolean hasLayers() {
        return values.containsKey("at") || values.containsKey("min_layer") || values.containsKey("every");
    }

    /** Where the policy looks: {@code at=3;6;9}, or {@code min_layer} (default 1) and {@code every} (default 1). */
    public LayerSet layers() {
        String at = values.get("at");
        if (at != null && (values.containsKey("min_layer") || values.containsKey("every"))) {
            throw fail("expected either at or min_layer/every, found both");
        }
        List<Integer> explicit = at == null ? List.of() : layerList(at);
        int minLayer = integer("min_layer", 1);
        int every = integer("every", 1);
        try {
            return at == null ? LayerSet.range(minLayer, every) : new LayerSet.At(explicit);
        } catch (IllegalArgumentException e) {
            throw new PolicySpecException(policy + ": " + e.getMessage(), e);
        }
    }

    private List<Integer> layerList(String at) {
        List<Integer> layers = new ArrayList<>();
        for (String part : at.split(";", -1)) {
            Integer layer = parseInteger(part);
            if (layer == null) {
                throw fail("at expected layers like 3;6;9, found '" + at + "'");
            }
            layers.add(layer);
        }
        return layers;
    }

    private String required(String key) {
        String text = values.get(key);
        if (text == null) {
            throw fail("missing required key '" + key + "'");
        }
        return text;
    }

    private float toNumber(String key, String text) {
        float value = DECIMAL.matcher(text).matches() ? Float.parseFloat(text) : Float.NaN;
        if (!Float.isFinite(value)) {
            throw fail(key + " expected a finite number, found '" + text + "'");
        }
        return value;
    }

    private int toInteger(String key, String text) {
        Integer value = parseInteger(text);
        if (value == null) {
            throw fail(key + " expected an integer, found '" + text + "'");
        }
        return value;
    }

    /** The integer written as {@code text}, or null when it is not one or does not fit an int. */
    private static Integer parseInteger(String text) {
        return INTEGER.matcher(text).matches() && new BigInteger(text).bitLength() < Integer.SIZE
                ? Integer.valueOf(text)
                : null;
    }

    private PolicySpecException fail(String problem) {
        return new PolicySpecException(policy + ": " + problem);
    }
}
