package dev.offramp.model;

import java.nio.file.Path;

/**
 * How a model's matrix products are chosen: {@code choice} as {@code --kernels} says, or one kernel for every
 * product ({@code pin}, e.g. {@code --kernels f16/matmul/2t}); and where planned kernels are cached (null: plan on
 * every load).
 */
public record KernelOptions(KernelChoice choice, Kernel pin, Path cacheDir) {
    public KernelOptions {
        if ((choice == null) == (pin == null)) {
            throw new IllegalArgumentException("kernel options: expected a choice or a pinned kernel");
        }
    }

    public KernelOptions(KernelChoice choice, Path cacheDir) {
        this(choice, null, cacheDir);
    }

    /** {@code --kernels VALUE}: auto, f32, f16, or one kernel as precision/layout/Nt. */
    public static KernelOptions parse(String value, Path cacheDir) {
        return value.contains("/") ? new KernelOptions(null, Kernel.parse(value), cacheDir)
                : new KernelOptions(KernelChoice.parse(value), null, cacheDir);
    }

    /** Every product on kernel {@code k}. */
    public static KernelOptions pinned(Kernel k) {
        return new KernelOptions(null, k, null);
    }

    /** In words, as {@code --kernels} takes it. */
    public String label() {
        return pin != null ? pin.toString() : choice.name().toLowerCase();
    }

    /** The reference kernels (float32 {@code linear}, one thread): parity with transformers and llama2.c. */
    public static KernelOptions reference() {
        return new KernelOptions(KernelChoice.F32, null);
    }

    public static KernelOptions of(KernelChoice choice) {
        return new KernelOptions(choice, null);
    }

    /** Where the command line caches plans: {@code $XDG_CACHE_HOME/offramp/kernels}, else {@code ~/.cache/…}. */
    public static Path userCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("offramp").resolve("kernels");
    }
}
