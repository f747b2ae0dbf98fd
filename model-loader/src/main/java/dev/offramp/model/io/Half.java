package dev.offramp.model.io;

/**
 * IEEE 754 binary16 and bfloat16, converted exactly as libtorch converts them (Java 17 has no float16 type; Java 20's
 * Float.float16ToFloat came later): checkpoints' 16-bit tensors are widened at load, and the few-token path writes
 * the float16 inputs and reads the float16 outputs of its matrix products itself.
 */
public final class Half {
    private Half() {}

    /** binary16 to float32, exact for every value; a NaN comes back quiet, as libtorch makes it. */
    public static float f16(short half) {
        int sign = (half & 0x8000) << 16;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mantissa == 0 ? 0 : 0x40_0000 | mantissa << 13));
        }
        if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float32
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);  // exponent rebiased 15 -> 127
    }

    /** bfloat16 is the top half of a float32, so shifting it back up is exact. */
    public static float bf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** float32 to binary16, rounding to nearest even as libtorch's {@code to(float16)} does. */
    public static short toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {  // infinity, or NaN kept quiet with its top payload bits
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) {  // 65520 and up round to infinity (65520 is the tie between 65504 and 2^16)
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {  // below 2^-14: a subnormal half, mant * 2^-24
            if (abs < 0x33000000) {  // below 2^-25 (2^-25 itself is a tie that rounds to the even 0)
                return (short) sign;
            }
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - (abs >>> 23);  // 14..24
            return (short) (sign | roundShift(mant, shift));
        }
        int h = (((abs >>> 23) - 112) << 10) | ((abs & 0x7fffff) >>> 13);
        int rest = abs & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
            h++;  // a carry into the exponent is still the right encoding
        }
        return (short) (sign | h);
    }

    private static int roundShift(int v, int shift) {
        int out = v >>> shift;
        int rest = v & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        return rest > half || (rest == half && (out & 1) == 1) ? out + 1 : out;
    }
}
