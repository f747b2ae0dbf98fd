package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.policy.PolicyRegistry;

/**
 * The knobs that pick a mode, as users give them (command line flags, the HTTP {@code early_exit} object); null means
 * not given. The one place for their rules: the constructor checks the ranges that need no model, {@link #toMode}
 * the rest against the model, and each error is an {@link InvalidKnob} naming the knob, which the command line and
 * the HTTP side each spell their own way.
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
    /** A round drafts at most this many tokens: deeper drafts are almost never all accepted. */
    public static final int MAX_DRAFT = 32;

    /** The knobs: their names on the wire ({@code early_exit.exit_layer}) and in the command line's words. */
    public enum Knob {
        MODE("mode", "mode"), POLICY("policy", "policy"), EXIT_LAYER("exit_layer", "exit layer"), KV("kv", "kv"),
        PRUNE("prune", "prune"), SPEEDUP("speedup", "speedup"), DRAFT("draft", "draft"),
        DRAFT_STOP("draft_stop", "draft stop");

        public final String wire;
        public final String words;

        Knob(String wire, String words) {
            this.wire = wire;
            this.words = words;
        }
    }

    /**
     * A knob's value the mode or the model cannot take. The message names the knob in words ("exit layer: expected
     * 1..5 (the model's layers), found 9"); {@link #knob} and {@link #detail} let the HTTP side name it its own way.
     */
    public static final class InvalidKnob extends IllegalArgumentException {
        private final Knob knob;
        private final String detail;

        /** @param knob the knob at fault; null when no one knob is (a mode missing the knob it needs) */
        InvalidKnob(Knob knob, String detail) {
            super(knob == null ? detail : knob.words + ": " + detail);
            this.knob = knob;
            this.detail = detail;
        }

        public Knob knob() {
            return knob;
        }

        public String detail() {
            return detail;
        }
    }

    /** The ranges that need no model; those against the model are checked by {@link #toMode}. */
    public ModeOptions {
        if (exitLayer != null && exitLayer < 1) {
            throw new InvalidKnob(Knob.EXIT_LAYER, "expected >= 1, found " + exitLayer);
        }
        if (prune != null && prune < 0) {
            throw new InvalidKnob(Knob.PRUNE, "expected 0 (off) or a number of tokens, found " + prune);
        }
        if (speedup != null && !(speedup >= 1)) {
            throw new InvalidKnob(Knob.SPEEDUP, "expected a number >= 1, found " + speedup);
        }
        if (draft != null && (draft < 1 || draft > MAX_DRAFT)) {
            throw new InvalidKnob(Knob.DRAFT, "expected 1.." + MAX_DRAFT + " tokens, found " + draft);
        }
        if (draftStop != null && !(draftStop >= 0 && draftStop <= 1)) {
            throw new InvalidKnob(Knob.DRAFT_STOP, "expected a number in [0, 1], found " + draftStop);
        }
    }

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

    /**
     * The mode these options name, checked against the model: every error is an {@link InvalidKnob} naming the knob
     * at fault (a policy spec's own errors stay {@link dev.offramp.policy.PolicySpecException}s).
     */
    public Mode toMode(ModelConfig config, PolicyRegistry policies) {
        String name = mode != null ? mode : policy != null ? "early-exit" : "full";
        Mode m = switch (name) {
            case "full" -> new Mode.Full();
            case "static" -> new Mode.Static(require(exitLayer, "static", "an exit layer"));
            case "early-exit" -> new Mode.EarlyExit(policies.parse(require(policy, "early-exit", "a policy")),
                    kvStrategy(), prune == null ? 0 : prune);
            case "skip" -> new Mode.Skip(require(speedup, "skip", "a target speed-up"));
            case "cascade" -> new Mode.Cascade();  // the deployment's members, rule and threshold
            case "self-speculative" -> new Mode.SelfSpeculative(exitLayer == null ? 0 : exitLayer,
                    draft == null ? 0 : draft, draftStop == null ? 0f : draftStop);
            default -> throw new InvalidKnob(Knob.MODE, "expected one of " + NAMES + ", found " + name);
        };
        checkKnobs(name);
        checkFits(m, config);
        return m;
    }

    /** Whether a mode, however it was made, fits the model: its layers exist, its pruning is within the vocabulary. */
    static void checkFits(Mode mode, ModelConfig c) {
        int layers = c.layers();
        if (mode instanceof Mode.Static s && (s.exitLayer() < 1 || s.exitLayer() > layers)) {
            throw new InvalidKnob(Knob.EXIT_LAYER, "expected 1.." + layers + " (the model's layers), found "
                    + s.exitLayer());
        }
        if (mode instanceof Mode.SelfSpeculative s && (s.exitLayer() > 0 ? s.exitLayer()
                : SpeculativePlan.defaultDraftLayer(layers)) > layers - 1) {
            throw new InvalidKnob(Knob.EXIT_LAYER, "expected 1.." + (layers - 1) + " (a draft leaves layers to "
                    + "verify), found " + (s.exitLayer() > 0 ? s.exitLayer() : "the default"));
        }
        if (mode instanceof Mode.Skip s && s.speedup() > layers) {
            throw new InvalidKnob(Knob.SPEEDUP, "expected 1.." + layers + " (the model's layers), found "
                    + s.speedup());
        }
        if (mode instanceof Mode.EarlyExit e && e.pruneVocab() > c.vocab()) {
            throw new InvalidKnob(Knob.PRUNE, "expected 0 (off) .. " + c.vocab() + " (the vocabulary), found "
                    + e.pruneVocab());
        }
        if (mode instanceof Mode.EarlyExit e && java.util.stream.IntStream.range(1, layers)
                .noneMatch(l -> e.policy().schedule().checks(l, layers))) {
            throw new InvalidKnob(Knob.POLICY, e.policy() + ": expected it to check a layer in 1.." + (layers - 1)
                    + " of this " + layers + "-layer model, found none");
        }
    }

    private Mode.KvStrategy kvStrategy() {
        if (kv == null) {
            return Mode.KvStrategy.RECOMPUTE;
        }
        return switch (kv) {
            case "propagate" -> Mode.KvStrategy.PROPAGATE;
            case "recompute" -> Mode.KvStrategy.RECOMPUTE;
            default -> throw new InvalidKnob(Knob.KV, "expected propagate or recompute, found " + kv);
        };
    }

    private void checkKnobs(String name) {
        unused(name, Knob.POLICY, policy, "early-exit");
        unused(name, Knob.KV, kv, "early-exit");
        unused(name, Knob.PRUNE, prune, "early-exit");
        unused(name, Knob.SPEEDUP, speedup, "skip");
        unused(name, Knob.DRAFT, draft, "self-speculative");
        unused(name, Knob.DRAFT_STOP, draftStop, "self-speculative");
        unused(name, Knob.EXIT_LAYER, exitLayer, "static", "self-speculative");
    }

    private static <T> T require(T value, String mode, String what) {
        if (value == null) {
            throw new InvalidKnob(null, "mode " + mode + ": expected " + what + ", found none");
        }
        return value;
    }

    /** A knob that the chosen mode does not read is a mistake worth reporting, not ignoring. */
    private static void unused(String mode, Knob knob, Object value, String... modes) {
        if (value != null && !java.util.List.of(modes).contains(mode)) {
            throw new InvalidKnob(knob, "only for mode " + String.join(" or ", modes) + ", found mode " + mode);
        }
    }
}
