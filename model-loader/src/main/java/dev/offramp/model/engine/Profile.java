package dev.offramp.model.engine;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A calibrated early-exit setting ({@code ./offramp calibrate --out}): the policy with its certified threshold, and
 * what the certificate says — risk (the fraction of tokens that differ from full depth's greedy choice given the same
 * prefix) at most {@code epsilon} with confidence {@code 1 - delta} — with the data it was measured on.
 * {@code generate}, {@code eval} and {@code serve} load it with {@code --profile}.
 *
 * @param policy  the policy spec with the chosen threshold, or null when no threshold could be certified
 * @param risk    the measured risk at the chosen threshold (errors / trials); null when none was certified
 * @param grid    every threshold tried, most conservative first, with its measurement and p-value
 * @param staticMode the exit layer {@code calibrate --mode static} certified at the same epsilon and delta, or null
 * @param skipMode   the speed-up {@code calibrate --mode skip} certified, or null
 */
public record Profile(String model, String policy, String kv, int prune, double epsilon, double delta, String pValue,
                      Data data, Double risk, List<GridPoint> grid, Certified staticMode, Certified skipMode) {
    /** What the risk was measured on. */
    public record Data(String text, String half, int prompts, int promptTokens, int newTokens, long tokens) {}

    /** One threshold's measurement: risk = errors / trials; p-value of "risk > epsilon"; speed-up against full. */
    public record GridPoint(double threshold, long errors, long trials, double pValue, double speedup,
                            double layersPerToken) {}

    /**
     * A fixed mode's certified knob (static: the exit layer; skip: the speed-up) with its measured risk and grid
     * (each point's {@code threshold} is the knob's value there).
     */
    public record Certified(double value, double risk, List<GridPoint> grid) {
        public Certified {
            grid = List.copyOf(grid);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public Profile {
        if (!(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("profile: expected epsilon and delta in (0, 1), found " + epsilon
                    + " and " + delta);
        }
        grid = List.copyOf(grid);
    }

    /** An early-exit profile alone, as {@code calibrate} writes one for a policy. */
    public Profile(String model, String policy, String kv, int prune, double epsilon, double delta, String pValue,
                   Data data, Double risk, List<GridPoint> grid) {
        this(model, policy, kv, prune, epsilon, delta, pValue, data, risk, grid, null, null);
    }

    /** The early-exit knobs this profile stands for; throws when calibration certified no threshold. */
    public ModeOptions modeOptions() {
        return modeOptions(null);
    }

    /**
     * The knobs this profile certified for {@code mode} (null: early-exit): early-exit's policy, static's exit layer
     * or skip's speed-up; throws, naming the mode, when it certified nothing for it.
     */
    public ModeOptions modeOptions(String mode) {
        String m = mode == null ? "early-exit" : mode;
        switch (m) {
            case "early-exit" -> {
                if (policy == null) {
                    throw new IllegalArgumentException("profile: no threshold was certified at epsilon " + epsilon
                            + ", delta " + delta + "; nothing to run");
                }
                return new ModeOptions("early-exit", policy, null, kv, prune > 0 ? prune : null, null, null, null);
            }
            case "static" -> {
                return new ModeOptions("static", null, (int) certified(staticMode, m).value(), null, null, null,
                        null, null);
            }
            case "skip" -> {
                return new ModeOptions("skip", null, null, null, null, certified(skipMode, m).value(), null, null);
            }
            default -> throw new IllegalArgumentException("profile: expected mode early-exit, static or skip with "
                    + "it, found " + m);
        }
    }

    private Certified certified(Certified c, String mode) {
        if (c == null) {
            throw new IllegalArgumentException("profile: nothing certified for mode " + mode + " (./offramp calibrate "
                    + "--mode " + mode + " adds it)");
        }
        return c;
    }

    /** This profile with {@code mode}'s certificate replaced (static or skip). */
    public Profile with(String mode, Certified c) {
        return switch (mode) {
            case "static" -> new Profile(model, policy, kv, prune, epsilon, delta, pValue, data, risk, grid, c,
                    skipMode);
            case "skip" -> new Profile(model, policy, kv, prune, epsilon, delta, pValue, data, risk, grid,
                    staticMode, c);
            default -> throw new IllegalArgumentException("profile: expected mode static or skip, found " + mode);
        };
    }

    /**
     * Reads a profile. The files its policy names (a learned gate's {@code gate=FILE}) are named relative to the
     * profile's folder when they are not absolute, so a model's profile and its gate travel together.
     */
    public static Profile read(Path file) {
        try {
            Profile p = JSON.readValue(file.toFile(), Profile.class);
            return p.withPolicy(gates(p.policy, g -> Path.of(g).isAbsolute() ? g
                    : folder(file).resolve(g).normalize().toString()));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": expected a calibration profile (JSON), "
                    + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** The file a model's own profile lives in: beside its weights (a folder's, or a .bin file's folder). */
    public static final String FILE_NAME = "offramp-profile.json";

    /** The profile shipped with the model at {@code modelPath}, if its folder has one. */
    public static java.util.Optional<Profile> beside(Path modelPath) {
        Path dir = java.nio.file.Files.isDirectory(modelPath) ? modelPath : modelPath.toAbsolutePath().getParent();
        Path file = dir == null ? null : dir.resolve(FILE_NAME);
        return file != null && java.nio.file.Files.isRegularFile(file) ? java.util.Optional.of(read(file))
                : java.util.Optional.empty();
    }

    /**
     * Writes the profile; a gate file inside the profile's folder is named relative to it, any other by its absolute
     * path (a path relative to the working directory would be read against the profile's folder: see {@link #read}).
     */
    public void write(Path file) throws IOException {
        Path dir = folder(file);
        JSON.writeValue(file.toFile(), withPolicy(gates(policy, g -> {
            Path gate = Path.of(g).toAbsolutePath().normalize();
            return (gate.startsWith(dir) ? dir.relativize(gate) : gate).toString();
        })));
    }

    /** A policy spec's gate files, each rewritten by {@code rename}. */
    private static String gates(String policy, java.util.function.UnaryOperator<String> rename) {
        return policy == null ? null : GATE.matcher(policy).replaceAll(m -> java.util.regex.Matcher
                .quoteReplacement(rename.apply(m.group())));
    }

    private static final java.util.regex.Pattern GATE = java.util.regex.Pattern.compile("(?<=\\bgate=)[^,()]+");

    private static Path folder(Path file) {
        Path dir = file.toAbsolutePath().normalize().getParent();
        return dir == null ? Path.of("").toAbsolutePath() : dir;
    }

    private Profile withPolicy(String p) {
        return java.util.Objects.equals(p, policy) ? this : new Profile(model, p, kv, prune, epsilon, delta, pValue,
                data, risk, grid, staticMode, skipMode);
    }
}
