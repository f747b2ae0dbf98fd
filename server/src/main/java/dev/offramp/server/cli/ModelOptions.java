package dev.offramp.server.cli;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import java.nio.file.Path;
import java.util.Set;

/**
 * The options every model-loading subcommand shares: --model, --tokenizer, --device, --threads (the most
 * intra-op threads a matrix product may use) and --kernels.
 */
record ModelOptions(Path model, Path tokenizer, DeviceChoice device, int threads, KernelOptions kernels) {
    static final Set<String> NAMES = Set.of("model", "tokenizer", "device", "threads", "kernels");

    /**
     * {@code defaultKernels}: what {@code --kernels} is when absent (auto, or f32 for reference tools);
     * {@code defaultThreads}: what {@code --threads} is.
     */
    static ModelOptions from(CliArgs args, Path defaultModel, String defaultKernels, int defaultThreads) {
        KernelOptions kernels;
        try {
            kernels = KernelOptions.parse(args.string("kernels", defaultKernels), KernelOptions.userCacheDir());
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(e.getMessage());
        }
        return new ModelOptions(args.path("model", defaultModel), args.path("tokenizer", null),
                DeviceChoice.parse(args.string("device", "auto")),
                args.integer("threads", defaultThreads), kernels);
    }

    /** Auto kernels on every core: what a process that only computes (generate) wants. */
    static ModelOptions from(CliArgs args, Path defaultModel) {
        return from(args, defaultModel, "auto", Runtime.getRuntime().availableProcessors());
    }

    /**
     * What {@code serve} defaults {@code --threads} to: one core fewer than the machine has (at least one), left to
     * Netty's event loop and the request path. Measured with ./offramp load on 2 vCPUs: one intra-op thread gave
     * 149 / 229 / 509 tokens/s at 1 / 4 / 16 streams, two gave 117 / 227 / 391 (the planner, timing products
     * alone, prefers two).
     */
    static int servingThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    LoadedModel load() {
        return load(model);
    }

    /**
     * Loads {@code path} with these options (the --tokenizer only for --model itself, however spelled), and says on
     * stderr which kernels it runs on.
     */
    LoadedModel load(Path path) {
        long t0 = System.nanoTime();
        boolean main = path.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize());
        LoadedModel m = LoadedModel.open(path, main ? tokenizer : null, DjlRuntime.start(threads), device, kernels);
        System.err.println("offramp: " + m.name() + " loaded in " + String.format("%.1f s", (System.nanoTime() - t0)
                / 1e9) + "; kernels (--kernels " + kernels.label() + ", at most " + threads + " intra-op thread"
                + (threads == 1 ? "" : "s") + "), "
                + String.format("%.1f MiB of matrices:%n", m.transformer().matrixBytes() / 1048576.0)
                + m.transformer().kernelPlan().table());
        return m;
    }
}
