package dev.offramp.model;

/**
 * IEEE 754 binary16 conversions (Java 17 has none), rounding to nearest even as libtorch's {@code to(float16)} does:
 * the one-token path writes float16 inputs and reads float16 outputs of the matrix products itself.
 */
final class Half {
    private Half() {}

    static float toFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {  // infinity, or NaN made quiet as libtorch makes it
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant == 0 ? 0 : 0x400000 | (mant << 13)));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static short fromFloat(float f) {
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
