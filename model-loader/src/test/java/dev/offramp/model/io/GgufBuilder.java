package dev.offramp.model.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files for tests, independently of the reader: metadata values by Java type (Long as int64, Integer
 * as uint32, Float as float32, Double as float64, Boolean, String, List), tensors as raw bytes of a ggml type id.
 * The encoders below quantize float32 values the way ggml stores them and give back the values a reader must find.
 */
public final class GgufBuilder {
    public static final int F32 = 0;
    public static final int F16 = 1;
    public static final int Q8_0 = 8;
    public static final int BF16 = 30;

    private record Tensor(String name, long[] shape, int type, byte[] raw) {}

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = 32;

    /** A builder holding a file's metadata as it was read, for rewriting its tensors. */
    public static GgufBuilder copyingMetadata(GgufFile file) {
        GgufBuilder b = new GgufBuilder();
        b.metadata.putAll(file.metadata().values());
        return b;
    }

    public GgufBuilder put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    public GgufBuilder alignment(int bytes) {
        alignment = bytes;
        return put("general.alignment", bytes);
    }

    /** {@code shape} outermost first, as the reader reports it; written as GGUF's ne[] (innermost first). */
    public GgufBuilder tensor(String name, int type, long[] shape, byte[] raw) {
        tensors.add(new Tensor(name, shape.clone(), type, raw));
        return this;
    }

    public byte[] build() {
        Out out = new Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        metadata.forEach((k, v) -> {
            out.string(k);
            out.i32(typeOf(v));
            out.value(v);
        });
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name());
            out.i32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                out.i64(t.shape()[d]);
            }
            out.i32(t.type());
            out.i64(offset);
            offset = align(offset + t.raw().length);
        }
        out.pad(align(out.size()));
        for (Tensor t : tensors) {
            out.bytes(t.raw());
            out.pad(align(out.size()));
        }
        return out.toByteArray();
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static int typeOf(Object v) {
        if (v instanceof Long) {
            return 11;
        } else if (v instanceof Integer) {
            return 4;
        } else if (v instanceof Float) {
            return 6;
        } else if (v instanceof Boolean) {
            return 7;
        } else if (v instanceof String) {
            return 8;
        } else if (v instanceof List) {
            return 9;
        } else if (v instanceof Double) {
            return 12;
        }
        throw new IllegalArgumentException("no GGUF type for " + v.getClass());
    }

    public static byte[] f32(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    public static byte[] shorts(short[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            b.putShort(v);
        }
        return b.array();
    }

    /** bfloat16 by truncation: the top half of the float32 bits. */
    public static short bf16(float v) {
        return (short) (Float.floatToIntBits(v) >>> 16);
    }

    /** binary16 by truncation (normal, subnormal or zero; the test weights are far below 65504). */
    public static short f16(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        float a = Math.abs(v);
        if (a < 0x1p-14f) {
            return (short) (sign | (int) (a / 0x1p-24f)); // subnormal: a multiple of 2^-24
        }
        int exponent = Math.getExponent(a);
        int mantissa = (int) ((a / Math.scalb(1f, exponent) - 1f) * 1024f);
        return (short) (sign | (exponent + 15) << 10 | mantissa);
    }

    /** The value a binary16 stands for, from the definition: (-1)^s 2^(e-15) (1 + m/1024), or m 2^-24. */
    public static float f16Value(short h) {
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        float magnitude = e == 0 ? m * 0x1p-24f : Math.scalb(1f + m / 1024f, e - 15);
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /**
     * ggml's Q8_0 layout: per 32 values a float16 d (max|x| / 127, truncated), then q = round(x / d); writes the
     * blocks to {@code raw} and returns what they stand for, q * d.
     */
    public static float[] q8(float[] x, ByteArrayOutputStream raw) {
        float[] back = new float[x.length];
        for (int block = 0; block < x.length / 32; block++) {
            float max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(x[block * 32 + j]));
            }
            short dBits = f16(max / 127f);
            float d = f16Value(dBits);
            raw.writeBytes(shorts(new short[] {dBits}));
            for (int j = 0; j < 32; j++) {
                int q = d == 0 ? 0 : Math.max(-127, Math.min(127, Math.round(x[block * 32 + j] / d)));
                raw.write(q);
                back[block * 32 + j] = q * d;
            }
        }
        return back;
    }

    /** Little-endian output with GGUF's length-prefixed strings. */
    private static final class Out extends ByteArrayOutputStream {
        void i32(int v) {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void i64(long v) {
            bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void bytes(byte[] b) {
            writeBytes(b);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        void pad(long to) {
            while (size() < to) {
                write(0);
            }
        }

        void value(Object v) {
            if (v instanceof Long l) {
                i64(l);
            } else if (v instanceof Integer i) {
                i32(i);
            } else if (v instanceof Float f) {
                i32(Float.floatToIntBits(f));
            } else if (v instanceof Boolean b) {
                write(b ? 1 : 0);
            } else if (v instanceof String s) {
                string(s);
            } else if (v instanceof Double d) {
                i64(Double.doubleToLongBits(d));
            } else if (v instanceof List<?> list) {
                i32(list.isEmpty() ? 4 : typeOf(list.get(0)));
                i64(list.size());
                list.forEach(this::value);
            }
        }
    }
}
