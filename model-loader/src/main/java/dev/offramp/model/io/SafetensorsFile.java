package dev.offramp.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.offramp.model.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One Hugging Face safetensors file: an 8-byte little-endian header length N, N bytes of JSON describing each tensor,
 * then the data section. The header is checked in full before any offset is trusted; each tensor is then mapped on
 * its own, so shards larger than 2 GiB (one buffer's limit) load as long as every single tensor fits.
 */
public final class SafetensorsFile implements TensorSource {
    /** The reference implementation's limit; a larger header means a corrupt length, not a real model. */
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private enum Dtype {
        F32(4), BF16(2), F16(2), I64(8);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }
    }

    /** A header entry, offsets relative to the data section. */
    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {}

    /** A validated tensor and its raw bytes, mapped read-only. */
    private record Stored(Dtype dtype, long[] shape, ByteBuffer raw) {}

    private final Path path;
    private final Map<String, Stored> tensors;

    private SafetensorsFile(Path path, Map<String, Stored> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("safetensors file " + file + ": expected a readable file, found "
                    + (Files.exists(file) ? "something that is not a regular file" : "nothing (missing)"));
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw fail(file, "expected at least 8 bytes (the header length), found " + size);
            }
            long headerBytes = read(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            // Unsigned u64 on disk: a negative long is a length above 2^63, far beyond any file.
            if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES || headerBytes > size - 8) {
                throw fail(file, "expected a header length of at most " + Math.min(MAX_HEADER_BYTES, size - 8)
                        + " bytes (file is " + size + " bytes), found " + Long.toUnsignedString(headerBytes));
            }
            long dataStart = 8 + headerBytes;
            ByteBuffer header = read(channel, 8, (int) headerBytes);
            List<Entry> entries = parseHeader(file, header.array(), size - dataStart);
            checkNoOverlap(file, entries);
            Map<String, Stored> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer raw = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
                tensors.put(e.name(), new Stored(e.dtype(), e.shape(), raw));
            }
            return new SafetensorsFile(file, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            throw new ModelLoadException("safetensors file " + file + ": expected a readable file, found " + e, e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    public String dtype(String name) {
        return stored(name).dtype().name();
    }

    public long[] shape(String name) {
        return stored(name).shape().clone();
    }

    @Override
    public HostTensor tensor(String name) {
        Stored s = stored(name);
        long elements = HostTensor.elementCount(s.shape());
        if (elements * Float.BYTES > Integer.MAX_VALUE) {
            throw fail(path, "tensor " + name + ": expected at most " + Integer.MAX_VALUE
                    + " bytes as float32 (one buffer), found " + elements * Float.BYTES);
        }
        ByteBuffer data = switch (s.dtype()) {
            case F32 -> s.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            case BF16, F16 -> widen(s, (int) elements);
            case I64 -> throw fail(path, "tensor " + name + ": expected a float tensor (F32, BF16, F16), found I64");
        };
        return new HostTensor(name, s.shape(), data);
    }

    /** An I64 tensor (token ids, as transformers saves them) as Java longs. */
    public long[] longs(String name) {
        Stored s = stored(name);
        if (s.dtype() != Dtype.I64) {
            throw fail(path, "tensor " + name + ": expected I64, found " + s.dtype());
        }
        long[] out = new long[s.raw().remaining() / Long.BYTES];
        s.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    private Stored stored(String name) {
        Stored s = tensors.get(name);
        if (s == null) {
            throw fail(path, "tensor " + name + " is missing: expected one of its " + tensors.size() + " tensors");
        }
        return s;
    }

    private static ByteBuffer widen(Stored s, int elements) {
        ShortBuffer in = s.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        ByteBuffer data = ByteBuffer.allocateDirect(elements * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer out = data.asFloatBuffer();
        boolean bf16 = s.dtype() == Dtype.BF16;
        for (int i = 0; i < elements; i++) {
            short bits = in.get(i);
            out.put(i, bf16 ? Half.bf16(bits) : Half.f16(bits));
        }
        return data;
    }

    private static List<Entry> parseHeader(Path file, byte[] header, long dataBytes) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
            throw new ModelLoadException("safetensors file " + file + ": expected a JSON header, found invalid JSON ("
                    + why + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw fail(file, "expected the header to be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            // Free-form string metadata: nothing here reads it, so nothing here needs to trust it.
            if (!field.getKey().equals("__metadata__")) {
                entries.add(parseEntry(file, field.getKey(), field.getValue(), dataBytes));
            }
        }
        return entries;
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataBytes) {
        if (!node.isObject()) {
            throw fail(file, "tensor " + name + ": expected an object, found " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw fail(file, "tensor " + name + ": expected a string \"dtype\", found " + dtypeNode);
        }
        Dtype dtype = Arrays.stream(Dtype.values())
                .filter(d -> d.name().equals(dtypeNode.asText()))
                .findFirst()
                .orElseThrow(() -> fail(file, "tensor " + name + ": expected dtype F32, BF16, F16 or I64, found "
                        + dtypeNode.asText()));
        long[] shape = longs(file, name, node, "shape", -1);
        long[] offsets = longs(file, name, node, "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataBytes) {
            throw fail(file, "tensor " + name + ": expected data_offsets with begin <= end <= " + dataBytes
                    + " (the data section's size; the file may be truncated), found [" + begin + ", " + end + "]");
        }
        long expected;
        try {
            expected = Math.multiplyExact(HostTensor.elementCount(shape), dtype.bytes);
        } catch (ArithmeticException e) {
            throw fail(file, "tensor " + name + ": expected a shape whose size fits in 64 bits, found "
                    + Arrays.toString(shape));
        }
        if (end - begin != expected) {
            throw fail(file, "tensor " + name + ": expected " + expected + " bytes for " + dtype + " shape "
                    + Arrays.toString(shape) + ", found " + (end - begin) + " bytes in data_offsets");
        }
        if (expected > Integer.MAX_VALUE) {
            throw fail(file, "tensor " + name + ": expected at most " + Integer.MAX_VALUE
                    + " bytes per tensor (one buffer), found " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers, of the given length unless it is -1. */
    private static long[] longs(Path file, String name, JsonNode entry, String key, int length) {
        JsonNode array = entry.get(key);
        String expected = "a \"" + key + "\" array of " + (length < 0 ? "" : length + " ") + "non-negative integers";
        if (array == null || !array.isArray() || (length >= 0 && array.size() != length)) {
            throw fail(file, "tensor " + name + ": expected " + expected + ", found " + array);
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw fail(file, "tensor " + name + ": expected " + expected + ", found " + array);
            }
            values[i] = v.asLong();
        }
        return values;
    }

    private static void checkNoOverlap(Path file, List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry previous = sorted.get(i - 1);
            Entry next = sorted.get(i);
            if (next.begin() < previous.end()) {
                throw fail(file, "tensors " + previous.name() + " [" + previous.begin() + ", " + previous.end()
                        + "] and " + next.name() + " [" + next.begin() + ", " + next.end()
                        + "]: expected disjoint data_offsets, found them overlapping");
            }
        }
    }

    private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private static ModelLoadException fail(Path file, String message) {
        return new ModelLoadException("safetensors file " + file + ": " + message);
    }
}
