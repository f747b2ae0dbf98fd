package dev.offramp.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A checkpoint tensor on the host as float32: {@code data} is a direct, little-endian buffer of
 * {@code product(shape)} floats, positioned at 0. For F32 files it is a read-only view of the mapped file (no copy);
 * BF16 and F16 are widened into a fresh buffer because DJL 0.36 cannot handle BF16 (ARCHITECTURE.md, "Facts").
 */
public record HostTensor(String name, long[] shape, ByteBuffer data) {
    public HostTensor {
        if (!data.isDirect() || data.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("tensor " + name + ": expected a direct little-endian buffer");
        }
        long elements = elementCount(shape);
        if (data.remaining() != elements * Float.BYTES) {
            throw new IllegalArgumentException("tensor " + name + ": expected " + elements * Float.BYTES
                    + " bytes for shape " + Arrays.toString(shape) + ", found " + data.remaining());
        }
        shape = shape.clone();
    }

    /** Wraps heap values (results to write out) in a tensor. */
    public static HostTensor of(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new HostTensor(name, shape, b);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Copies the values to the heap (for small tensors and tests). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount(shape))];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
