package ai.djl.pytorch.jni;

/**
 * Offramp's hot path: the few libtorch ops a layer step is made of, called on raw tensor handles through DJL's own
 * JNI entry points. It lives in DJL's package only to reach the package-private {@code PyTorchLibrary}. Measured on
 * these machines: an op through {@code NDArray} costs 2.0–2.8 µs, of which about half is DJL's per-array bookkeeping
 * in Java (a uid string, a concurrent-map entry, a Shape); the same op on handles 0.9–1.1 µs. Every handle returned
 * is a new tensor the caller must {@link #delete}; views share their base's storage.
 */
public final class TensorOps {
    private static final PyTorchLibrary LIB = PyTorchLibrary.LIB;

    private TensorOps() {}

    public static long add(long a, long b) {
        return LIB.torchAdd(a, b);
    }

    public static long mul(long a, long b) {
        return LIB.torchMul(a, b);
    }

    public static long matmul(long a, long b) {
        return LIB.torchMatmul(a, b);
    }

    public static long bmm(long a, long b) {
        return LIB.torchBmm(a, b);
    }

    /** x W^T + bias; {@code bias} 0 for none. */
    public static long linear(long x, long w, long bias) {
        return LIB.torchNNLinear(x, w, bias);
    }

    /** Softmax along {@code dim}, in the input's dtype ({@code dtype}: DJL's DataType ordinal). */
    public static long softmax(long x, long dim, int dtype) {
        return LIB.torchSoftmax(x, dim, dtype);
    }

    public static long tanh(long x) {
        return LIB.torchTanh(x);
    }

    /** LayerNorm over the trailing {@code shape} with affine {@code weight}, {@code bias}. */
    public static long layerNorm(long x, long[] shape, long weight, long bias, double eps) {
        return LIB.torchNNLayerNorm(x, shape, weight, bias, eps);
    }

    public static long sigmoid(long x) {
        return LIB.torchSigmoid(x);
    }

    public static long reshape(long x, long... shape) {
        return LIB.torchReshape(x, shape);
    }

    public static long permute(long x, long... dims) {
        return LIB.torchPermute(x, dims);
    }

    /** Pieces of the given sizes along {@code dim}. */
    public static long[] split(long x, long[] sizes, long dim) {
        return LIB.torchSplit(x, sizes, dim);
    }

    public static long cat(long[] xs, long dim) {
        return LIB.torchCat(xs, dim);
    }

    /** A copy in another dtype ({@code dtype}: DJL's DataType ordinal) on device {@code device} (type, id). */
    public static long to(long x, int dtype, int[] device) {
        return LIB.torchTo(x, dtype, device);
    }

    /** x / max(||x||_p along dim, eps). */
    public static long normalize(long x, double p, long dim, double eps) {
        return LIB.torchNNNormalize(x, p, dim, eps);
    }

    /** The view x[start:end] along {@code dim}. */
    public static long slice(long x, long dim, long start, long end) {
        return LIB.torchSlice(x, dim, start, end, 1);
    }

    /** Copies {@code value} into target[min:max:step] (one triple per dimension of the target), in place. */
    public static void indexPut(long target, long value, long[] min, long[] max, long[] step) {
        LIB.torchIndexPut(target, value, min, max, step);
    }

    /**
     * A tensor over the memory of a direct buffer (no copy; CPU only): it stays valid while the buffer is reachable,
     * and what Java writes into the buffer the tensor sees.
     */
    public static long fromBuffer(java.nio.ByteBuffer buffer, long[] shape, int dtype, int[] device) {
        return LIB.torchFromBlob(buffer, shape, dtype, 0, device, false);
    }

    /**
     * The memory of a contiguous CPU tensor as a direct buffer in native byte order (no copy): valid only until the
     * tensor is deleted.
     */
    public static java.nio.ByteBuffer memory(long x) {
        return LIB.torchDirectByteBuffer(x).order(java.nio.ByteOrder.nativeOrder());
    }

    public static void delete(long x) {
        LIB.torchDeleteTensor(x);
    }
}
