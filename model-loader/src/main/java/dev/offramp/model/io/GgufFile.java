package dev.offramp.model.io;

import dev.offramp.model.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file, ggml's checkpoint format (v2 and v3, little-endian; ggml-org/ggml docs/gguf.md): the magic "GGUF", a
 * version, the tensor and metadata counts, the metadata key/values, one info per tensor (name, dims, type, offset),
 * then the data section at the next multiple of {@code general.alignment} (32 when absent).
 *
 * <p>Tensors keep the file's names ({@code token_embd.weight}, {@code blk.0.attn_q.weight}) and are shaped outermost
 * first, GGUF's {@code ne[]} reversed, so a matrix is row-major [out, in] as in {@code nn.Linear}. F32 data is a
 * read-only view of the mapped file; F16, BF16 and Q8_0 are widened to float32 when read, so that the kernel plan
 * chooses each matrix's form from exact float32 values, as it does for safetensors.
 */
public final class GgufFile implements TensorSource {
    private static final int MAGIC = 0x4655_4747; // "GGUF" read as a little-endian int32
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS

    /** The tensor types read here, by ggml type id; a block holds {@code blockValues} values in {@code blockBytes}. */
    public enum Type {
        F32(0, 1, 4), F16(1, 1, 2), Q8_0(8, 32, 34), BF16(30, 1, 2);

        final int id;
        final int blockValues;
        final int blockBytes;

        Type(int id, int blockValues, int blockBytes) {
            this.id = id;
            this.blockValues = blockValues;
            this.blockBytes = blockBytes;
        }
    }

    /** ggml's names of the types not read here, so a refusal says what the file holds. */
    private static final Map<Integer, String> OTHER_TYPES = Map.ofEntries(Map.entry(2, "Q4_0"), Map.entry(3, "Q4_1"),
            Map.entry(6, "Q5_0"), Map.entry(7, "Q5_1"), Map.entry(9, "Q8_1"), Map.entry(10, "Q2_K"),
            Map.entry(11, "Q3_K"), Map.entry(12, "Q4_K"), Map.entry(13, "Q5_K"), Map.entry(14, "Q6_K"),
            Map.entry(15, "Q8_K"), Map.entry(24, "I8"), Map.entry(25, "I16"), Map.entry(26, "I32"),
            Map.entry(27, "I64"), Map.entry(28, "F64"));

    private record Stored(Type type, long[] shape, ByteBuffer raw) {}

    private final Path path;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, Stored> tensors;

    private GgufFile(Path path, int version, GgufMetadata metadata, Map<String, Stored> tensors) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    public static GgufFile open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("GGUF file " + file + ": expected a readable file, found "
                    + (Files.exists(file) ? "something that is not a regular file" : "nothing (missing)"));
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            // The header is read through one mapping; only the data section may exceed a buffer's 2 GiB.
            GgufCursor in = new GgufCursor(file, channel.map(FileChannel.MapMode.READ_ONLY, 0,
                    Math.min(size, Integer.MAX_VALUE)).order(ByteOrder.LITTLE_ENDIAN));
            int magic = in.int32("the magic");
            if (magic != MAGIC) {
                throw in.fail("expected the magic \"GGUF\" (47 47 55 46), found " + String.format("%08x",
                        Integer.reverseBytes(magic)) + ": not a GGUF file");
            }
            int version = in.int32("the version");
            if (version != 2 && version != 3) {
                throw in.fail("expected GGUF version 2 or 3 (little-endian), found " + version
                        + (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                        ? " (a big-endian file)" : ""));
            }
            long tensorCount = in.count("the tensor count");
            long keyCount = in.count("the metadata count");
            Map<String, Object> values = new LinkedHashMap<>();
            for (long i = 0; i < keyCount; i++) {
                String key = in.string("metadata key " + i);
                if (values.put(key, in.value(in.int32("the type of " + key), key)) != null) {
                    throw in.fail("expected each metadata key once, found " + key + " twice");
                }
            }
            GgufMetadata metadata = new GgufMetadata(file, values);
            long alignment = metadata.integer("general.alignment", 32);
            if (alignment <= 0 || Long.bitCount(alignment) != 1) {
                throw in.fail("expected general.alignment to be a power of two, found " + alignment);
            }
            List<Info> infos = new ArrayList<>();
            for (long i = 0; i < tensorCount; i++) {
                infos.add(Info.read(in));
            }
            long dataStart = (in.position() + alignment - 1) / alignment * alignment;
            Map<String, Stored> tensors = new LinkedHashMap<>();
            for (Info t : infos) {
                if (t.offset() > size - dataStart || t.bytes() > size - dataStart - t.offset()) {
                    throw in.fail("tensor " + t.name() + ": expected its " + t.bytes() + " bytes at data offset "
                            + t.offset() + " within the file's " + size + " bytes (data from byte " + dataStart
                            + "), found the file too short: truncated?");
                }
                ByteBuffer raw = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset(), t.bytes());
                if (tensors.put(t.name(), new Stored(t.type(), t.shape(), raw.order(ByteOrder.LITTLE_ENDIAN)))
                        != null) {
                    throw in.fail("expected each tensor name once, found " + t.name() + " twice");
                }
            }
            return new GgufFile(file, version, metadata, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            throw new ModelLoadException("GGUF file " + file + ": expected a readable file, found " + e, e);
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    public Type type(String name) {
        return stored(name).type();
    }

    public long[] shape(String name) {
        return stored(name).shape().clone();
    }

    @Override
    public HostTensor tensor(String name) {
        Stored s = stored(name);
        int n = (int) HostTensor.elementCount(s.shape()); // Info.read checked it fits a buffer as float32
        ByteBuffer raw = s.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer data = s.type() == Type.F32 ? raw
                : ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer out = data.asFloatBuffer();
        switch (s.type()) {
            case F32 -> { }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.put(i, Half.f16(raw.getShort(2 * i)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.put(i, Half.bf16(raw.getShort(2 * i)));
                }
            }
            case Q8_0 -> {
                // ggml's block_q8_0: a float16 scale d, then 32 int8 q; value j is q[j] * d (dequantize_row_q8_0).
                for (int block = 0; block < n / 32; block++) {
                    int at = block * 34;
                    float d = Half.f16(raw.getShort(at));
                    for (int j = 0; j < 32; j++) {
                        out.put(block * 32 + j, raw.get(at + 2 + j) * d);
                    }
                }
            }
        }
        return new HostTensor(name, s.shape(), data);
    }

    private Stored stored(String name) {
        Stored s = tensors.get(name);
        if (s == null) {
            throw new ModelLoadException("GGUF file " + path + ": expected a tensor named " + name
                    + ", found none among its " + tensors.size() + " tensors");
        }
        return s;
    }

    /** One tensor info; shape outermost first, offset relative to the data section. */
    private record Info(String name, long[] shape, Type type, long offset, long bytes) {
        static Info read(GgufCursor in) {
            String name = in.string("a tensor name");
            int dims = in.int32("the dimension count of " + name);
            if (dims < 1 || dims > MAX_DIMS) {
                throw in.fail("tensor " + name + ": expected 1 to " + MAX_DIMS + " dimensions, found " + dims);
            }
            long[] shape = new long[dims];
            for (int d = 0; d < dims; d++) {
                shape[dims - 1 - d] = in.count("dimension " + d + " of " + name);
            }
            int typeId = in.int32("the type of " + name);
            Type type = Arrays.stream(Type.values()).filter(t -> t.id == typeId).findFirst()
                    .orElseThrow(() -> in.fail("tensor " + name + ": expected type F32, F16, BF16 or Q8_0, found "
                            + OTHER_TYPES.getOrDefault(typeId, "type " + typeId)));
            long offset = in.count("the offset of " + name);
            long elements;
            try {
                elements = HostTensor.elementCount(shape);
            } catch (ArithmeticException e) {
                throw in.fail("tensor " + name + ": expected a shape whose size fits in 64 bits, found "
                        + Arrays.toString(shape));
            }
            if (elements > Integer.MAX_VALUE / Float.BYTES) {
                throw in.fail("tensor " + name + ": expected at most " + Integer.MAX_VALUE / Float.BYTES
                        + " values (one buffer of float32), found " + elements);
            }
            if (shape[dims - 1] % type.blockValues != 0) {
                throw in.fail("tensor " + name + ": expected its innermost dimension to be a multiple of "
                        + type.blockValues + " (a " + type + " block), found " + shape[dims - 1]);
            }
            return new Info(name, shape, type, offset, elements / type.blockValues * type.blockBytes);
        }
    }
}
