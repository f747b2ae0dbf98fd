package dev.offramp.model;

/**
 * {@code --kernels}: {@code auto} plans every product's kernel by timing the candidates on this machine (cached);
 * {@code f32} pins the reference (float32 {@code linear}, one thread); {@code f16} pins float16 {@code linear} on
 * all the threads {@code --threads} allows.
 */
public enum KernelChoice {
    AUTO, F32, F16;

    public static KernelChoice parse(String s) {
        return switch (s) {
            case "auto" -> AUTO;
            case "f32" -> F32;
            case "f16" -> F16;
            default -> throw new IllegalArgumentException("--kernels: expected auto, f32 or f16, found '" + s + "'");
        };
    }
}
