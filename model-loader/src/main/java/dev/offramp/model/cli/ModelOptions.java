package dev.offramp.model.cli;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.ExitAdapterChoice;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every model-loading command shares, as a picocli mixin: --model, --tokenizer, --device, --threads (the
 * most intra-op threads a matrix product may use), --kernels and the exit adapters' --exit-adapters and
 * --no-exit-adapters. A command sets its defaults by constructing it.
 */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "PATH", description = "A Hugging Face folder, a llama2.c .bin or a GGUF "
            + "file. Default: the embedded models/kjv-ee-12l.")
    private Path model;  // null: not given, the default
    private final Path defaultModel;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "The tokenizer, when it is not beside or "
            + "inside the model.")
    private Path tokenizer;

    @Option(names = "--device", paramLabel = "cpu|gpu|auto", description = "Where the model runs. "
            + "Default: ${DEFAULT-VALUE}.")
    private String device = "auto";

    @Option(names = "--threads", paramLabel = "N", description = "The most intra-op threads a matrix product may "
            + "use. Default: ${DEFAULT-VALUE}.")
    private int threads;

    @Option(names = "--kernels", paramLabel = "auto|f32|f16|PRECISION/LAYOUT/Nt", description = "How the matrix "
            + "products run: planned on this machine (auto), float32, float16, or one kernel. "
            + "Default: ${DEFAULT-VALUE}.")
    private String kernels;

    @Option(names = "--exit-adapters", paramLabel = "FILE", description = "Exit adapters (train-exits' "
            + "exit-adapters.safetensors) for --model. Default: the one in the model's folder, if any.")
    private Path exitAdapters;

    // arity 0..1: "--no-exit-adapters" alone, or with true|false (how the container's entry point passes it)
    @Option(names = "--no-exit-adapters", arity = "0..1", paramLabel = "true|false", description = "Plain exits: "
            + "ignore exit adapters beside the model.")
    private boolean noExitAdapters;

    /**
     * {@code defaultKernels}: what {@code --kernels} is when absent (auto, or f32 for reference tools);
     * {@code defaultThreads}: what {@code --threads} is.
     */
    public ModelOptions(Path defaultModel, String defaultKernels, int defaultThreads) {
        this.defaultModel = defaultModel;
        this.kernels = defaultKernels;
        this.threads = defaultThreads;
    }

    /** Auto kernels on every core: what a process that only computes (generate) wants. */
    public ModelOptions(Path defaultModel) {
        this(defaultModel, "auto", Runtime.getRuntime().availableProcessors());
    }

    public Path model() {
        return model != null ? model : defaultModel;
    }

    /** Whether {@code --model} was given (a command may then need more, such as the model's own text). */
    public boolean modelGiven() {
        return model != null;
    }

    /** Null: the model's own. */
    public Path tokenizer() {
        return tokenizer;
    }

    public DeviceChoice device() {
        return DeviceChoice.parse(device);
    }

    public int threads() {
        return threads;
    }

    public KernelOptions kernels() {
        try {
            return KernelOptions.parse(kernels, KernelOptions.userCacheDir());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private boolean isMain(Path path) {
        return path.toAbsolutePath().normalize().equals(model().toAbsolutePath().normalize());
    }

    /** Checks --device, --kernels and the exit adapters' options before anything is loaded. */
    public ModelOptions validate() {
        device();
        kernels();
        exitAdapters(true);
        return this;
    }

    /** The exit adapters for --model ({@code main}) or another model (those beside it, unless turned off). */
    public ExitAdapterChoice exitAdapters(boolean main) {
        if (noExitAdapters && exitAdapters != null) {
            throw new UsageException("--exit-adapters " + exitAdapters + ": expected no --no-exit-adapters with it");
        }
        if (exitAdapters != null && !java.nio.file.Files.isRegularFile(exitAdapters)) {
            throw new UsageException("--exit-adapters: expected a file, found none at " + exitAdapters);
        }
        if (noExitAdapters) {
            return ExitAdapterChoice.NONE;
        }
        return main && exitAdapters != null ? ExitAdapterChoice.file(exitAdapters) : ExitAdapterChoice.BESIDE;
    }

    public LoadedModel load() {
        return load(model(), Progress.SILENT);
    }

    public LoadedModel load(Path path) {
        return load(path, Progress.SILENT);
    }

    /**
     * Loads {@code path} with these options (the --tokenizer only for --model itself, however spelled), and says on
     * stderr which kernels it runs on; {@code progress} shows the time it takes (planning the kernels can take
     * seconds).
     */
    public LoadedModel load(Path path, Progress progress) {
        return load(path, exitAdapters(isMain(path)), progress);
    }

    /** As {@link #load(Path, Progress)}, with the exit adapters {@code adapters} chooses. */
    public LoadedModel load(Path path, ExitAdapterChoice adapters, Progress progress) {
        long t0 = System.nanoTime();
        KernelOptions k = kernels();
        boolean main = isMain(path);
        LoadedModel m;
        try (Progress.Bar bar = progress.start("loading " + path.getFileName(), -1)) {
            m = LoadedModel.open(path, main ? tokenizer : null, DjlRuntime.start(threads), device(), k, adapters);
        }
        System.err.println("offramp: " + m.name() + " loaded in " + String.format("%.1f s", (System.nanoTime() - t0)
                / 1e9) + "; kernels (--kernels " + k.label() + ", at most " + threads + " intra-op thread"
                + (threads == 1 ? "" : "s") + "), "
                + String.format("%.1f MiB of matrices:%n", m.transformer().matrixBytes() / 1048576.0)
                + m.transformer().kernelPlan().table());
        m.transformer().exitAdapters().ifPresent(a -> System.err.println("offramp: exit adapters for layers "
                + java.util.Arrays.toString(a.layers())));
        return m;
    }
}
