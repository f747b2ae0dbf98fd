package dev.offramp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads transformers' reference tensors (F32 and I64) from a fixture's {@code reference.safetensors}. The product's
 * reader only takes weight dtypes; the references also hold int64 ids, so the tests read them here.
 */
final class Reference {
    static final Path SHARED = Path.of("../../shared");

    private final JsonNode header;
    private final ByteBuffer data;

    Reference(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(all.getLong(0));
        byte[] json = new byte[n];
        all.get(8, json);
        header = new ObjectMapper().readTree(json);
        data = all.slice(8 + n, all.capacity() - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean has(String name) {
        return header.has(name);
    }

    long[] shape(String name) {
        JsonNode s = header.get(name).get("shape");
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(i).asLong();
        }
        return out;
    }

    float[] floats(String name) {
        ByteBuffer b = bytes(name, "F32");
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    int[] ints(String name) {
        ByteBuffer b = bytes(name, "I64");
        int[] out = new int[b.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(b.getLong(i * 8));
        }
        return out;
    }

    private ByteBuffer bytes(String name, String dtype) {
        JsonNode e = header.get(name);
        if (e == null || !e.get("dtype").asText().equals(dtype)) {
            throw new IllegalArgumentException(name + ": expected a " + dtype + " tensor");
        }
        int begin = e.get("data_offsets").get(0).asInt();
        int end = e.get("data_offsets").get(1).asInt();
        return data.slice(begin, end - begin).order(ByteOrder.LITTLE_ENDIAN);
    }
}
