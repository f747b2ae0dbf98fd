package dev.offramp.model.engine;

import dev.offramp.policy.calibrate.DeferralRule;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A cascade (Gupta et al. 2024): members in order; each answers unless the rule scores its answer's per-token
 * uncertainty above the threshold, and the last answers whatever reaches it. The uncertainty is what the member's own
 * decoding saw ({@link GenerationRequest#scored}), so deciding costs no pass of its own and stalls nothing.
 *
 * <p>The one runner of the server (members on their own engine threads or remote: answers arrive as futures),
 * {@code generate} and the benchmark's curves (members run in turn: completed futures).
 *
 * @param <A> a member's answer
 */
public final class CascadeRunner<A> {
    /** One member of the cascade. */
    public interface Member<A> {
        String name();

        /** Its answer to the request; {@code scored}: it may be deferred, so it records its uncertainty. */
        CompletableFuture<A> answer(boolean scored);
    }

    /** A member that was asked: its rule score (NaN when not scored: the last, or one that failed) and the verdict. */
    public record Tried(String member, double score, boolean deferred, String failure) {}

    /**
     * What the cascade did: the answer kept, the member that gave it, every member asked (in order), every answer
     * received (for a benchmark's curves) and why the answer was kept, in words.
     */
    public record Outcome<A>(A answer, int answeredBy, List<Tried> tried, List<A> answers, String reason) {}

    private final DeferralRule rule;
    private final double threshold;
    private final Function<A, TokenUncertainty> uncertainty;
    private final Predicate<Throwable> fallsBack;

    /**
     * @param uncertainty a scored answer's per-token uncertainty
     * @param fallsBack   whether a later member's failure is answered with the last answer received (a remote
     *                    member that is down) rather than failing the request (a client that left)
     */
    public CascadeRunner(DeferralRule rule, double threshold, Function<A, TokenUncertainty> uncertainty,
                         Predicate<Throwable> fallsBack) {
        if (!Double.isFinite(threshold) && threshold != Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("cascade threshold: expected a finite number, found " + threshold);
        }
        this.rule = Objects.requireNonNull(rule, "rule");
        this.threshold = threshold;
        this.uncertainty = uncertainty;
        this.fallsBack = fallsBack;
    }

    public DeferralRule rule() {
        return rule;
    }

    public double threshold() {
        return threshold;
    }

    /** Runs the members from the first; at least one. */
    public CompletableFuture<Outcome<A>> run(List<? extends Member<A>> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("cascade members: expected at least 1, found none");
        }
        return from(0, members, new ArrayList<>(), new ArrayList<>());
    }

    private CompletableFuture<Outcome<A>> from(int i, List<? extends Member<A>> members, List<Tried> tried,
                                               List<A> answers) {
        Member<A> m = members.get(i);
        boolean last = i == members.size() - 1;
        CompletableFuture<A> asked;
        try {
            asked = m.answer(!last);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        return asked.handle((a, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (answers.isEmpty() || !fallsBack.test(cause)) {
                    return CompletableFuture.<Outcome<A>>failedFuture(cause);
                }
                tried.add(new Tried(m.name(), Double.NaN, false, cause.getMessage()));
                String kept = tried.get(answers.size() - 1).member();
                return CompletableFuture.completedFuture(new Outcome<>(answers.get(answers.size() - 1),
                        answers.size() - 1, List.copyOf(tried), List.copyOf(answers), m.name() + " failed ("
                        + cause.getMessage() + "): answered by " + kept));
            }
            answers.add(a);
            if (last) {
                tried.add(new Tried(m.name(), Double.NaN, false, null));
                return CompletableFuture.completedFuture(new Outcome<>(a, i, List.copyOf(tried), List.copyOf(answers),
                        i == 0 ? "the only member" : "the last member answers what reaches it"));
            }
            double score = rule.score(uncertainty.apply(a));
            boolean deferred = score > threshold;
            tried.add(new Tried(m.name(), score, deferred, null));
            if (!deferred) {
                return CompletableFuture.completedFuture(new Outcome<>(a, i, List.copyOf(tried), List.copyOf(answers),
                        String.format(java.util.Locale.ROOT, "%s score %.4g <= threshold %.4g", rule.name(), score,
                                threshold)));
            }
            return from(i + 1, members, tried, answers);
        }).thenCompose(f -> f);
    }
}
