package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.policy.PolicyRegistry;

/**
 * The knobs that pick a mode, as users give them (command line flags, the HTTP {@code early_exit} object); null means
 * not given. {@link #toMode} checks them against the model and says which one is wrong.
 *
 * @param mode       full | static | early-exit | skip | self-speculative (default: early-exit when a policy is
 *                   given, else full)
 * @param policy     policy spec for early-exit, e.g. {@code confidence:threshold=0.9,min_layer=3}
 * @param exitLayer  static: the exit layer; self-speculative: the draft exit layer
 * @param kv         early-exit: propagate | recompute (default recompute: exact)
 * @param prune      early-exit: after a token's first check, score later checks on that check's top-k tokens only
 * @param speedup    skip: the target speed-up r >= 1
 * @param draft      self-speculative: tokens drafted per round (default: adapted to the acceptance, from 4)
 * @param draftStop  self-speculative: stop drafting below this top-1 probability (default 0: never)
 */
public record ModeOptions(String mode, String policy, Integer exitLayer, String kv, Integer prune, Double speedup,
                          Integer draft, Float draftStop) {
    public static final String NAMES = "full, static, early-exit, skip, self-speculative";
    /** Nothing given: full depth, or a server's default (a calibration profile). */
    public static final ModeOptions NONE = new ModeOptions(null, null, null, null, null, null, null, null);

    /**
     * These options with the model's defaults filled in, so that a mode named without its knobs runs: early-exit with
     * no policy takes the policy (and, unless given, the KV strategy and pruning) its calibration profile certified;
     * static with no exit layer and skip with no speed-up take the exit layer and speed-up the profile certified for
     * them ({@code calibrate --mode static|skip}). With no profile, or one that certified nothing for the mode, it
     * runs at full depth, which never loses (a knob chosen without measurements on the model could cost more in checks
     * than its exits save, or lose quality).
     *
     * @param profile the model's own profile ({@link Profile#beside}), or null
     */
    public ModeOptions withDefaults(Profile profile) {
        boolean earlyExit = "early-exit".equals(mode) && policy == null;
        boolean fixed = "static".equals(mode) && exitLayer == null || "skip".equals(mode) && speedup == null;
        if (!earlyExit && !fixed) {
            return this;
        }
        if (fixed) {
            checkKnobs(mode);  // a stray knob is reported against the mode asked, not the one it resolves to
        }
        ModeOptions p;
        try {
            p = profile == null ? null : profile.modeOptions(mode);
        } catch (IllegalArgumentException nothingCertified) {
            p = null;
        }
        if (p == null) {
            return fixed ? new ModeOptions("full", null, null, null, null, null, null, null)
                    : new ModeOptions("full", null, exitLayer, null, null, speedup, draft, draftStop);
        }
        if (fixed) {
            return p;
        }
        return new ModeOptions(mode, p.policy(), exitLayer, kv != null ? kv : p.kv(), prune != null ? prune
                : p.prune(), speedup, draft, draftStop);
    }

    /** What {@link #withDefaults} chose for a mode named without its knobs, in words; null when nothing. */
    public static String defaultsNote(ModeOptions given, ModeOptions resolved) {
        if (given == resolved) {
            return null;
        }
        String chosen = switch (given.mode()) {
            case "static" -> "exit layer " + resolved.exitLayer();
            case "skip" -> "speed-up " + resolved.speedup();
            default -> "policy " + resolved.policy();
        };
        return "full".equals(resolved.mode())
                ? given.mode() + ": this model has no calibration profile (" + Profile.FILE_NAME + " beside it) "
                  + "certifying " + (given.mode().equals("early-exit") ? "a policy" : "this mode") + ", so it runs at "
                  + "full depth; ./offramp calibrate " + (given.mode().equals("early-exit") ? "" : "--mode "
                  + given.mode() + " ") + "--out writes one"
                : given.mode() + ": the model's calibration profile's " + chosen;
    }

    public Mode toMode(ModelConfig config, PolicyRegistry policies) {
        String name = mode != null ? mode : policy != null ? "early-exit" : "full";
        Mode m = switch (name) {
            case "full" -> new Mode.Full();
            case "static" -> new Mode.Static(require(exitLayer, "static", "an exit layer"));
            case "early-exit" -> new Mode.EarlyExit(policies.parse(require(policy, "early-exit", "a policy")),
                    kv == null ? Mode.KvStrategy.RECOMPUTE : Mode.KvStrategy.parse(kv), prune == null ? 0 : prune);
            case "skip" -> new Mode.Skip(require(speedup, "skip", "a target speed-up"));
            case "cascade" -> new Mode.Cascade();  // the deployment's members, rule and threshold
            case "self-speculative" -> new Mode.SelfSpeculative(exitLayer == null ? 0 : positive(exitLayer,
                    "exit layer"), draft == null ? 0 : positive(draft, "draft"), draftStop == null ? 0f : draftStop);
            default -> throw new IllegalArgumentException("mode: expected one of " + NAMES + ", found " + name);
        };
        checkKnobs(name);
        Generator.checkDepth(m, config);
        return m;
    }

    private void checkKnobs(String name) {
        unused(name, "policy", policy, "early-exit");
        unused(name, "kv", kv, "early-exit");
        unused(name, "prune", prune, "early-exit");
        unused(name, "speedup", speedup, "skip");
        unused(name, "draft", draft, "self-speculative");
        unused(name, "draft stop", draftStop, "self-speculative");
        unused(name, "exit layer", exitLayer, "static", "self-speculative");
    }

    private static <T> T require(T value, String mode, String what) {
        if (value == null) {
            throw new IllegalArgumentException("mode " + mode + ": expected " + what + ", found none");
        }
        return value;
    }

    private static int positive(int value, String knob) {
        if (value < 1) {
            throw new IllegalArgumentException(knob + ": expected >= 1, found " + value);
        }
        return value;
    }

    /** A knob that the chosen mode does not read is a mistake worth reporting, not ignoring. */
    private static void unused(String mode, String knob, Object value, String... modes) {
        if (value != null && !java.util.List.of(modes).contains(mode)) {
            throw new IllegalArgumentException(knob + ": only for mode " + String.join(" or ", modes)
                    + ", found mode " + mode);
        }
    }
}
