package dev.offramp.model.io;

import dev.offramp.model.ModelLoadException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key/value metadata of a GGUF file. Integers of every width are held as {@link Long}, float32 as {@link Float},
 * float64 as {@link Double}, arrays as {@link List}. The accessors check the kind and name the key when it is wrong.
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, Object> values;

    GgufMetadata(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Every key and value, in the file's order; tests rewrite files from it. */
    Map<String, Object> values() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public String string(String key) {
        return as(key, String.class, "a string");
    }

    public long integer(String key) {
        return as(key, Long.class, "an integer");
    }

    public long integer(String key, long absent) {
        return has(key) ? integer(key) : absent;
    }

    /** A float32 or float64 value. */
    public double real(String key, double absent) {
        return has(key) ? as(key, Number.class, "a float").doubleValue() : absent;
    }

    public boolean bool(String key, boolean absent) {
        return has(key) ? as(key, Boolean.class, "a bool") : absent;
    }

    public List<String> strings(String key) {
        return elements(key, String.class, "strings");
    }

    public float[] floats(String key) {
        List<Float> list = elements(key, Float.class, "float32 values");
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }

    public long[] integers(String key) {
        return elements(key, Long.class, "integers").stream().mapToLong(Long::longValue).toArray();
    }

    private <T> List<T> elements(String key, Class<T> type, String what) {
        List<?> list = as(key, List.class, "an array of " + what);
        for (Object o : list) {
            if (!type.isInstance(o)) {
                throw fail(key, "an array of " + what, "an array holding " + o.getClass().getSimpleName());
            }
        }
        @SuppressWarnings("unchecked")
        List<T> typed = (List<T>) list;
        return typed;
    }

    private <T> T as(String key, Class<T> type, String what) {
        Object v = values.get(key);
        if (v == null) {
            throw new ModelLoadException("GGUF file " + file + ": expected metadata key " + key + ", found none");
        }
        if (!type.isInstance(v)) {
            throw fail(key, what, v instanceof List<?> l ? "an array of " + l.size() : v.getClass().getSimpleName()
                    + " " + v);
        }
        return type.cast(v);
    }

    private ModelLoadException fail(String key, String expected, String found) {
        return new ModelLoadException("GGUF file " + file + ": metadata " + key + ": expected " + expected
                + ", found " + found);
    }
}
