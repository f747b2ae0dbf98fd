package dev.offramp.model.io;

/** The 16-bit float forms of checkpoints, widened to float32 exactly (Float.float16ToFloat needs Java 20). */
final class Half {
    private Half() {}

    /** IEEE 754 binary16 to float32, exact for every value. */
    static float f16(short half) {
        int sign = (half & 0x8000) << 16;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        if (exponent == 0x1f) {
            // Infinity (mantissa 0) or NaN, payload kept.
            return Float.intBitsToFloat(sign | 0x7f80_0000 | mantissa << 13);
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }

    /** bfloat16 is the top half of a float32, so shifting it back up is exact. */
    static float bf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
