package dev.offramp.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/**
 * JSON in (a tree, read strictly: trailing tokens and duplicate keys refused, since two readers of one body could take
 * different values of a key) and out (records, snake_case field names). Thread-safe once built.
 */
final class Json {
    private final ObjectMapper mapper = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    JsonNode read(String body) {
        try {
            JsonNode n = mapper.readTree(body);
            return n == null || n.isMissingNode() ? null : n;
        } catch (StreamConstraintsException e) {
            // Jackson's own message names its classes and methods.
            throw ApiException.invalid(null, "malformed JSON: nested too deep, or a number or string too long");
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }
}
