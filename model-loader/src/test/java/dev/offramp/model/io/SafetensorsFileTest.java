package dev.offramp.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.offramp.model.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    @Test
    void f32RoundTripIsAReadOnlyViewOfTheFile() throws IOException {
        Path file = write("a.safetensors",
                "{\"__metadata__\":{\"format\":\"pt\"},"
                        + entry("w", "F32", "[2,3]", 0, 24) + "," + entry("b", "F32", "[2]", 24, 32) + "}",
                f32(1f, -2f, 3.5f, 0f, 1e-7f, -1e30f, 7f, 8f));

        SafetensorsFile st = SafetensorsFile.open(file);

        assertThat(st.path()).isEqualTo(file);
        assertThat(st.names()).containsExactly("w", "b");
        assertThat(st.dtype("w")).isEqualTo("F32");
        assertThat(st.shape("w")).containsExactly(2, 3);
        HostTensor w = st.tensor("w");
        assertThat(w.shape()).containsExactly(2, 3);
        assertThat(w.toFloatArray()).containsExactly(1f, -2f, 3.5f, 0f, 1e-7f, -1e30f);
        assertThat(w.data().isReadOnly()).isTrue();
        assertThat(w.data().position()).isZero();
        assertThat(st.tensor("b").toFloatArray()).containsExactly(7f, 8f);
    }

    @Test
    void bf16IsWidenedExactly() throws IOException {
        // 1.0, -2.5, 3.140625 (pi truncated to bf16), 0
        Path file = write("b.safetensors", "{" + entry("x", "BF16", "[2,2]", 0, 8) + "}",
                halves(0x3F80, 0xC020, 0x4049, 0x0000));

        SafetensorsFile st = SafetensorsFile.open(file);

        assertThat(st.dtype("x")).isEqualTo("BF16");
        HostTensor x = st.tensor("x");
        assertThat(x.data().isDirect()).isTrue();
        assertThat(x.toFloatArray()).containsExactly(1.0f, -2.5f, 3.140625f, 0f);
    }

    @Test
    void f16IsWidenedExactlyIncludingSubnormalsInfinityAndNaN() throws IOException {
        int[] bits = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x8000, 0x7E00};
        Path file = write("h.safetensors", "{" + entry("x", "F16", "[10]", 0, 20) + "}", halves(bits));

        float[] x = SafetensorsFile.open(file).tensor("x").toFloatArray();

        assertThat(Arrays.copyOf(x, 9)).containsExactly(1f, -2f, 0.5f, 65504f, 0x1p-24f, 1023 * 0x1p-24f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f);
        assertThat(Float.floatToRawIntBits(x[8])).isEqualTo(0x8000_0000);
        assertThat(x[9]).isNaN();
    }

    @Test
    void shardedIndexRoundTrip() throws IOException {
        write("s1.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + "}", f32(1f, 2f));
        write("s2.safetensors", "{" + entry("b", "BF16", "[1]", 0, 2) + "," + entry("c", "F32", "[1]", 2, 6) + "}",
                concat(halves(0xC020), f32(9f)));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":"
                + "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":\"s2.safetensors\"}}");

        TensorSource source = ShardedSafetensors.open(dir);

        assertThat(source.names()).containsExactly("a", "b", "c");
        assertThat(source.tensor("a").toFloatArray()).containsExactly(1f, 2f);
        assertThat(source.tensor("b").toFloatArray()).containsExactly(-2.5f);
        assertThat(source.tensor("c").toFloatArray()).containsExactly(9f);
        assertThatThrownBy(() -> source.tensor("d")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors.index.json").hasMessageContaining("tensor d is missing");
    }

    @Test
    void singleFileFolderOpensWithoutAnIndex() throws IOException {
        write("model.safetensors", "{" + entry("a", "F32", "[1]", 0, 4) + "}", f32(5f));

        assertThat(ShardedSafetensors.open(dir).tensor("a").toFloatArray()).containsExactly(5f);
    }

    @Test
    void indexNamingATensorItsShardLacksIsRejected() throws IOException {
        write("s1.safetensors", "{" + entry("a", "F32", "[1]", 0, 4) + "}", f32(1f));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"z\":\"s1.safetensors\"}}");

        assertThatThrownBy(() -> ShardedSafetensors.open(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors.index.json").hasMessageContaining("tensor z")
                .hasMessageContaining("s1.safetensors");
    }

    @Test
    void folderWithoutWeightsIsRejected() {
        assertThatThrownBy(() -> ShardedSafetensors.open(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessage("no model.safetensors or model.safetensors.index.json in " + dir);
    }

    @Test
    void malformedHeaderJson() throws IOException {
        Path file = write("bad.safetensors", "{\"x\": {\"dtype\": \"F32\",", new byte[0]);

        assertFails(file, "bad.safetensors", "expected a JSON header, found invalid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        Path file = write("arr.safetensors", "[1,2]", new byte[0]);

        assertFails(file, "arr.safetensors", "expected the header to be a JSON object, found ARRAY");
    }

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Files.write(file, new byte[] {1, 2, 3});

        assertFails(file, "tiny.safetensors", "expected at least 8 bytes", "found 3");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        Path file = dir.resolve("long.safetensors");
        Files.write(file, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array(),
                "{}".getBytes(StandardCharsets.UTF_8)));

        assertFails(file, "long.safetensors", "expected a header length of at most 2 bytes", "found 1000");
    }

    @Test
    void offsetsOutsideTheDataSection() throws IOException {
        Path file = write("range.safetensors", "{" + entry("w", "F32", "[2]", 8, 16) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "begin <= end <= 8", "found [8, 16]");
    }

    @Test
    void beginAfterEnd() throws IOException {
        Path file = write("rev.safetensors", "{" + entry("w", "F32", "[0]", 8, 4) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "begin <= end", "found [8, 4]");
    }

    @Test
    void overlappingOffsets() throws IOException {
        Path file = write("overlap.safetensors",
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", f32(1f, 2f, 3f));

        assertFails(file, "overlap.safetensors", "tensors a [0, 8] and b [4, 12]", "found them overlapping");
    }

    @Test
    void truncatedDataSection() throws IOException {
        Path file = write("cut.safetensors", "{" + entry("w", "F32", "[4]", 0, 16) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "<= 8 (the data section's size; the file may be truncated)", "[0, 16]");
    }

    @Test
    void byteLengthDisagreesWithShape() throws IOException {
        Path file = write("len.safetensors", "{" + entry("w", "F32", "[3]", 0, 8) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "expected 12 bytes for F32 shape [3]", "found 8 bytes");
    }

    @Test
    void unknownDtype() throws IOException {
        Path file = write("f64.safetensors", "{" + entry("w", "F64", "[1]", 0, 8) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "expected dtype F32, BF16, F16 or I64, found F64");
    }

    @Test
    void negativeDimension() throws IOException {
        Path file = write("neg.safetensors", "{" + entry("w", "F32", "[-1,2]", 0, 8) + "}", f32(1f, 2f));

        assertFails(file, "tensor w", "\"shape\" array of non-negative integers", "found [-1,2]");
    }

    @Test
    void entryMissingAField() throws IOException {
        Path file = write("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1f));

        assertFails(file, "tensor w", "expected a string \"dtype\", found null");
    }

    @Test
    void missingTensor() throws IOException {
        Path file = write("one.safetensors", "{" + entry("w", "F32", "[1]", 0, 4) + "}", f32(1f));
        SafetensorsFile st = SafetensorsFile.open(file);

        assertThatThrownBy(() -> st.tensor("nope")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("one.safetensors").hasMessageContaining("tensor nope is missing");
    }

    @Test
    void missingFile() {
        assertFails(dir.resolve("absent.safetensors"), "absent.safetensors", "found nothing (missing)");
    }

    @Test
    void readsTheRealShardedBf16Checkpoint() {
        Path model = Path.of("../../shared/models/kjv-ee-12l");
        assumeTrue(Files.isDirectory(model), "shared checkpoint not present at " + model.toAbsolutePath());

        HostTensor embed = ShardedSafetensors.open(model).tensor("model.embed_tokens.weight");

        assertThat(embed.shape()).containsExactly(4096, 256);
        float[] values = embed.toFloatArray();
        assertThat(IntStream.range(0, values.length).filter(i -> !Float.isFinite(values[i])).count())
                .as("non-finite values").isZero();
        assertThat(IntStream.range(0, values.length).filter(i -> values[i] != 0f).count())
                .as("non-zero values").isPositive();
    }

    private static void assertFails(Path file, String... messageParts) {
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContainingAll(messageParts);
    }

    /** Writes a safetensors file: u64 little-endian header length, the header text, then the data section. */
    private Path write(String name, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array();
        Path file = dir.resolve(name);
        Files.write(file, concat(length, json, data));
        return file;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** 16-bit values (bf16 or f16 bit patterns), little-endian. */
    private static byte[] halves(int... bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : bits) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
