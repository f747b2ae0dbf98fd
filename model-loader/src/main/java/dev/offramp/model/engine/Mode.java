package dev.offramp.model.engine;

import dev.offramp.policy.ExitPolicy;

/** How each token travels through the layers (ARCHITECTURE.md, "The engine's words"). */
public sealed interface Mode {
    /** The mode's name on the command line and the wire. */
    String name();

    /** Every layer for every token. */
    record Full() implements Mode {
        public String name() {
            return "full";
        }
    }

    /** Every token exits after layer k: the first k layers form a sub-model (SoFT). */
    record Static(int exitLayer) implements Mode {
        public String name() {
            return "static";
        }
    }

    /**
     * Per token, the policy decides after each checked layer; {@code kv} fills the layers a token skipped. With
     * {@code pruneVocab} k > 0, only the first check of a token pays for the full LM head: later checks score just
     * that check's top-k tokens (dynamic vocabulary pruning, Vincent et al. 2024), a few rows instead of the vocabulary.
     */
    record EarlyExit(ExitPolicy policy, KvStrategy kv, int pruneVocab) implements Mode {
        public EarlyExit {
            if (pruneVocab < 0) {
                throw new IllegalArgumentException("prune: expected 0 (off) or a number of tokens, found " + pruneVocab);
            }
        }

        public EarlyExit(ExitPolicy policy, KvStrategy kv) {
            this(policy, kv, 0);
        }

        public String name() {
            return "early-exit";
        }
    }

    /** Unified Layer Skipping: a target speed-up picks one balanced set of middle layers that every token skips. */
    record Skip(double speedup) implements Mode {
        public Skip {
            if (!(speedup >= 1.0) || Double.isInfinite(speedup)) {
                throw new IllegalArgumentException("speedup: expected a finite value >= 1, found " + speedup);
            }
        }

        public String name() {
            return "skip";
        }
    }

    /**
     * LayerSkip / SWIFT: draft up to {@code maxDraft} tokens with the exit after {@code exitLayer}, stopping early
     * when the draft's top-1 probability falls below {@code stopConfidence} (0 never stops), then verify them with the
     * remaining layers in one pass. {@code exitLayer} 0: a quarter of the depth; {@code maxDraft} 0: adapted to the
     * request's acceptance. Either way a request whose drafting costs more than full depth falls back to it.
     */
    record SelfSpeculative(int exitLayer, int maxDraft, float stopConfidence) implements Mode {
        /** Everything chosen by the engine: what {@code --mode self-speculative} alone runs. */
        public static final SelfSpeculative DEFAULT = new SelfSpeculative(0, 0, 0f);

        public SelfSpeculative {
            if (exitLayer < 0) {
                throw new IllegalArgumentException("exit layer: expected >= 1 (or none for the default), found "
                        + exitLayer);
            }
            if (maxDraft < 0) {
                throw new IllegalArgumentException("draft: expected >= 1 tokens (or none to adapt), found "
                        + maxDraft);
            }
            if (!(stopConfidence >= 0f && stopConfidence <= 1f)) {
                throw new IllegalArgumentException("draft stop confidence: expected in [0, 1], found " + stopConfidence);
            }
        }

        public String name() {
            return "self-speculative";
        }
    }

    /**
     * A cascade (Gupta et al. 2024): the deployment's members answer in turn, each unless its deferral rule defers
     * the request to the next ({@link CascadeRunner}). Not one model's request: the members are the server's or the
     * command line's, and each runs full or static.
     */
    record Cascade() implements Mode {
        public String name() {
            return "cascade";
        }
    }

    /** What fills the K/V of the layers a token skipped by exiting early. */
    enum KvStrategy {
        /** CALM: the exited hidden state goes through the skipped layers' K/V projections. Approximate. */
        PROPAGATE,
        /** EE-LLM / FREE: the skipped layers run for that position later, batched with the token that needs them. Exact. */
        RECOMPUTE
    }
}
