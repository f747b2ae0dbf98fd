package dev.offramp.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/** JSON in (a tree, read strictly) and out (records, snake_case field names). Thread-safe once built. */
final class Json {
    private final ObjectMapper mapper = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    JsonNode read(String body) {
        try {
            JsonNode n = mapper.readTree(body);
            return n == null || n.isMissingNode() ? null : n;
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
