package dev.offramp.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settles a model's kernel plan at load: pinned ({@code f32}, {@code f16}), read from the cache, or planned by
 * timing and then cached. The cache key names the machine (CPU model, cores), the device, the thread limit, whether
 * the VECTOR kernel was a candidate, the buckets and every matrix's shape: a plan depends on nothing else.
 */
record KernelSetup(KernelOptions options, IntraOpThreads threads, String machine) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param fewTokens whether the model's few-token steps run {@link FewTokens} (the VECTOR kernel's home) */
    KernelPlan plan(Weights weights, NDManager manager, boolean fewTokens) {
        KernelPlanner planner = new KernelPlanner(weights, threads, KernelPlanner.wallClock(System::nanoTime, 3));
        KernelPlan plan = options.pin() != null ? KernelPlan.uniform(options.pin()) : switch (options.choice()) {
            case F32 -> KernelPlan.uniform(Kernel.REFERENCE);
            case F16 -> KernelPlan.uniform(new Kernel(Kernel.Precision.F16, Kernel.Layout.LINEAR, threads.max()));
            case AUTO -> null;
        };
        if (plan != null) {
            planner.retain(plan);
            return plan;
        }
        boolean vector = fewTokens && Kernel.VECTOR_API;
        String key = key(weights, manager, vector);
        Path file = options.cacheDir() == null ? null : options.cacheDir().resolve("plan-" + digest(key) + ".json");
        KernelPlan cached = file == null ? null : read(file);
        if (cached != null) {
            planner.retain(cached);
            return cached;
        }
        plan = planner.plan(KernelPlanner.candidates(threads.max(), vector), manager);
        if (file != null) {
            write(file, key, plan);
        }
        return plan;
    }

    private String key(Weights weights, NDManager manager, boolean vector) {
        StringBuilder sb = new StringBuilder(machine).append(" | ").append(manager.getDevice())
                .append(" | threads ").append(threads.max())
                .append(vector ? " | vector on 1.." + threads.max() + " threads" : "").append(" | buckets");
        for (Bucket b : Bucket.values()) {
            sb.append(' ').append(b.label());
        }
        sb.append(" |");
        for (Matrix m : weights.matrices()) {
            sb.append(' ').append(m.shape());
        }
        return sb.toString();
    }

    /** A cached plan, or null when there is none or it cannot be read (it is then planned again). */
    @SuppressWarnings("unchecked")
    private static KernelPlan read(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            Map<String, Object> json = JSON.readValue(file.toFile(), Map.class);
            return KernelPlan.fromJson((Map<String, Object>) json.get("plan"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Writes the plan atomically; a cache that cannot be written only costs a new plan next time. */
    private static void write(Path file, String key, KernelPlan plan) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("key", key);
        json.put("plan", plan.toJson());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "plan-", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), json);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("kernels: could not cache the plan in " + file + ": " + e.getMessage());
        }
    }

    private static String digest(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** This machine in words for the cache key: CPU model name and logical cores (from /proc/cpuinfo on Linux). */
    static String describeMachine() {
        String model = System.getProperty("os.arch");
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String l : lines) {
                if (l.startsWith("model name")) {
                    model = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture names the machine well enough for a cache key
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
