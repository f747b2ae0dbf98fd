package dev.offramp.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;

/**
 * Starts DJL's PyTorch engine once per process with the settings ARCHITECTURE.md's facts call for: offline (the CPU
 * libtorch is bundled, nothing is downloaded) and at most {@code threads} intra-op threads: each matrix product then uses
 * as many of them as its kernel plan says (see {@link KernelPlanner}).
 */
public final class DjlRuntime {
    private final Engine engine;
    private final IntraOpThreads threads;

    private DjlRuntime(Engine engine, int threads) {
        this.engine = engine;
        this.threads = new IntraOpThreads(threads);
    }

    /**
     * DJL reads these properties when the engine first loads; after that, later calls share the running engine.
     * Offline mode is left to the caller when {@code PYTORCH_FLAVOR} asks DJL to fetch a CUDA libtorch.
     */
    public static DjlRuntime start(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads: expected a positive integer, found " + threads);
        }
        if (System.getenv("PYTORCH_FLAVOR") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try {
            return new DjlRuntime(Engine.getEngine("PyTorch"), threads);
        } catch (EngineException e) {
            throw new ModelLoadException("PyTorch engine did not start: " + e.getMessage() + ". Expected the bundled "
                    + "CPU libtorch (a build without -Pcuda), PYTORCH_LIBRARY_PATH naming an installed libtorch, or "
                    + "PYTORCH_FLAVOR with internet access (see README, Devices)", e);
        }
    }

    Device device(DeviceChoice choice) {
        boolean gpu = engine.getGpuCount() > 0;
        return switch (choice) {
            case CPU -> Device.cpu();
            case GPU -> {
                if (!gpu) {
                    throw new IllegalArgumentException("--device gpu: DJL sees no GPU (the CPU libtorch is bundled; "
                            + "build with -Pcuda, see README)");
                }
                yield Device.gpu();
            }
            case AUTO -> gpu ? Device.gpu() : Device.cpu();
        };
    }

    /** How a model loaded on this runtime settles its kernels. */
    KernelSetup kernels(KernelOptions options) {
        return new KernelSetup(options, threads, KernelSetup.describeMachine() + ", " + engine.getEngineName()
                + " " + engine.getVersion());
    }

    /** The most intra-op threads a kernel may use. */
    public int threads() {
        return threads.max();
    }

    /** The engine and device in words, for logs and benchmark tables. */
    public String describe(DeviceChoice choice) {
        return engine.getEngineName() + " " + engine.getVersion() + " on " + device(choice);
    }
}
