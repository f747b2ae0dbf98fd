package dev.offramp.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed reads of one JSON object's fields with "expected X, found Y" errors naming the field. JSON {@code null} reads
 * as absent (clients send null for unset options).
 */
final class Fields {
    private final JsonNode node;
    private final String prefix;

    private Fields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static Fields of(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw ApiException.invalid(where.isEmpty() ? null : where,
                    (where.isEmpty() ? "request body" : where) + ": expected a JSON object, found " + kind(node));
        }
        return new Fields(node, where.isEmpty() ? "" : where + ".");
    }

    /** Rejects any field not in {@code known}, naming it. */
    Fields allowOnly(Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw ApiException.invalid(prefix + name, prefix + name + ": unknown field; expected one of "
                        + known.stream().sorted().toList());
            }
        }
        return this;
    }

    String string(String name) {
        JsonNode v = get(name);
        if (v != null && !v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        return v == null ? null : v.textValue();
    }

    Integer integer(String name) {
        JsonNode v = get(name);
        if (v != null && !(v.isIntegralNumber() && v.canConvertToInt())) {
            throw wrongType(name, "an integer", v);
        }
        return v == null ? null : v.intValue();
    }

    Long longValue(String name) {
        JsonNode v = get(name);
        if (v != null && !(v.isIntegralNumber() && v.canConvertToLong())) {
            throw wrongType(name, "an integer", v);
        }
        return v == null ? null : v.longValue();
    }

    Double number(String name) {
        JsonNode v = get(name);
        if (v != null && !v.isNumber()) {
            throw wrongType(name, "a number", v);
        }
        return v == null ? null : v.doubleValue();
    }

    Boolean bool(String name) {
        JsonNode v = get(name);
        if (v != null && !v.isBoolean()) {
            throw wrongType(name, "true or false", v);
        }
        return v == null ? null : v.booleanValue();
    }

    /** A string or an array of strings (OpenAI's {@code stop}). */
    List<String> strings(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return List.of();
        }
        if (v.isTextual()) {
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw wrongType(name, "a string or an array of strings", v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw wrongType(name, "an array of strings", e);
            }
            out.add(e.textValue());
        }
        return out;
    }

    int[] ints(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw wrongType(name, "an array of integers", v);
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!(e.isIntegralNumber() && e.canConvertToInt())) {
                throw wrongType(name, "an array of integers", e);
            }
            out[i] = e.intValue();
        }
        return out;
    }

    /** An array of objects, each read with its index in the field names ({@code messages[2].role}). */
    List<Fields> objects(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw wrongType(name, "an array of objects", v);
        }
        List<Fields> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            out.add(of(v.get(i), prefix + name + "[" + i + "]"));
        }
        return out;
    }

    /** A string, or OpenAI's content parts ({@code [{"type":"text","text":…}]}) joined by newlines. */
    String textOrParts(String name) {
        JsonNode v = get(name);
        if (v == null || v.isTextual()) {
            return v == null ? null : v.asText();
        }
        if (!v.isArray()) {
            throw wrongType(name, "a string or an array of text parts", v);
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            Fields part = of(v.get(i), prefix + name + "[" + i + "]");
            part.allowOnly(Set.of("type", "text"));
            if (!"text".equals(part.string("type"))) {
                throw ApiException.invalid(part.prefix + "type", part.prefix + "type: expected 'text' (only text "
                        + "parts are supported), found " + kind(part.get("type")));
            }
            String text = part.string("text");
            if (text == null) {
                throw ApiException.invalid(part.prefix + "text", part.prefix + "text: expected a string, found nothing");
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }

    Fields object(String name) {
        JsonNode v = get(name);
        return v == null ? null : of(v, prefix + name);
    }

    private JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private ApiException wrongType(String name, String expected, JsonNode found) {
        return ApiException.invalid(prefix + name, prefix + name + ": expected " + expected + ", found " + kind(found));
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer " + n : "a number " + n;
            case BOOLEAN -> n.asText();
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().toString().toLowerCase();
        };
    }
}
