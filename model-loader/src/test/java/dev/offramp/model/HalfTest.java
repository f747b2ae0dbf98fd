package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.offramp.model.io.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Java's float16 conversions ({@link Half}) bit for bit against libtorch's {@code to(float16)} and back. */
class HalfTest {
    private static NDManager manager;

    @BeforeAll
    static void start() {
        DjlRuntime.start(1);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void everyHalfWidensAsLibtorchWidensIt() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        ByteBuffer bytes = ByteBuffer.allocate(all.length * 2).order(ByteOrder.nativeOrder());
        bytes.asShortBuffer().put(all);
        try (NDArray halves = manager.create(bytes, new ai.djl.ndarray.types.Shape(all.length), DataType.FLOAT16);
             NDArray floats = halves.toType(DataType.FLOAT32, true)) {
            float[] want = floats.toFloatArray();
            for (int i = 0; i < all.length; i++) {
                assertThat(Float.floatToRawIntBits(Half.f16(all[i])))
                        .as("half 0x%04x", i).isEqualTo(Float.floatToRawIntBits(want[i]));
            }
        }
    }

    @Test
    void floatsRoundToNearestEvenAsLibtorchRoundsThem() {
        Random random = new Random(7);
        float[] xs = new float[400_000];
        int n = 0;
        for (int i = 0; i < 65536; i += 3) {  // every other half, and the ties and near-ties beside it
            float h = Half.f16((short) i);
            float next = Half.f16((short) (i + 1));
            if (!Float.isFinite(h) || !Float.isFinite(next)) {
                continue;
            }
            float mid = (h + next) / 2;
            xs[n++] = h;
            xs[n++] = mid;
            xs[n++] = Math.nextUp(mid);
            xs[n++] = Math.nextDown(mid);
        }
        for (float edge : new float[] {65504f, 65519.99f, 65520f, 70000f, 0x1p-24f, 0x1p-25f, 0x1.0p-25f * 1.0001f,
                0x1p-26f, 0x1p-14f, Math.nextDown(0x1p-14f), 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            xs[n++] = edge;
            xs[n++] = -edge;
        }
        while (n < xs.length) {  // random bit patterns over every exponent a model's values have
            float f = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(f)) {
                xs[n++] = f;
            }
        }
        try (NDArray floats = manager.create(xs); NDArray halves = floats.toType(DataType.FLOAT16, true)) {
            ByteBuffer want = halves.toByteBuffer().order(ByteOrder.nativeOrder());
            for (int i = 0; i < xs.length; i++) {
                assertThat(Half.toF16(xs[i])).as("float %s", xs[i]).isEqualTo(want.getShort(i * 2));
            }
        }
    }
}
