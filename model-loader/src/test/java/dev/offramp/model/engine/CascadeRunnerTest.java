package dev.offramp.model.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.policy.calibrate.ChowAverage;
import dev.offramp.policy.calibrate.TokenUncertainty;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The runner's decisions over members whose answers are given: keep, defer, fall back, fail. */
class CascadeRunnerTest {
    /** An answer whose every token had probability p: Chow-Average scores it -log p. */
    record Answer(String by, double p) {
        TokenUncertainty uncertainty() {
            return new TokenUncertainty(new double[] {Math.log(p), Math.log(p)}, new double[] {p, p});
        }
    }

    static final class Fixed implements CascadeRunner.Member<Answer> {
        final String name;
        final CompletableFuture<Answer> answer;
        final List<Boolean> asked = new ArrayList<>();

        Fixed(String name, CompletableFuture<Answer> answer) {
            this.name = name;
            this.answer = answer;
        }

        static Fixed answering(String name, double p) {
            return new Fixed(name, CompletableFuture.completedFuture(new Answer(name, p)));
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Answer> answer(boolean scored) {
            asked.add(scored);
            return answer;
        }
    }

    static CascadeRunner<Answer> runner(double threshold) {
        return new CascadeRunner<>(new ChowAverage(), threshold, Answer::uncertainty,
                e -> e instanceof IllegalStateException);
    }

    @Test
    void theFirstMemberWhoseScoreIsWithinTheThresholdAnswersAndOnlyNonLastMembersAreScored() {
        Fixed unsure = Fixed.answering("small", 0.5);   // score 0.693
        Fixed sure = Fixed.answering("medium", 0.9);    // score 0.105
        Fixed large = Fixed.answering("large", 0.99);
        var out = runner(0.3).run(List.of(unsure, sure, large)).join();
        assertThat(out.answer().by()).isEqualTo("medium");
        assertThat(out.answeredBy()).isEqualTo(1);
        assertThat(out.tried()).extracting(CascadeRunner.Tried::deferred).containsExactly(true, false);
        assertThat(out.tried().get(0).score()).isCloseTo(Math.log(2), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(out.reason()).contains("chow-average score 0.1054").contains("<= threshold 0.3");
        assertThat(unsure.asked).containsExactly(true);
        assertThat(large.asked).isEmpty();

        var all = runner(Double.NEGATIVE_INFINITY).run(List.of(Fixed.answering("a", 0.9), large)).join();
        assertThat(all.answeredBy()).isEqualTo(1);
        assertThat(all.answers()).extracting(Answer::by).containsExactly("a", "large");
        assertThat(large.asked).containsExactly(false);  // the last member is never scored
        assertThat(all.reason()).isEqualTo("the last member answers what reaches it");
    }

    @Test
    void aLaterMembersFailureFallsBackToTheLastAnswerOrFailsTheRequest() {
        Fixed down = new Fixed("http://127.0.0.1:9/v1", CompletableFuture.failedFuture(
                new CompletionException(new IllegalStateException("connection refused"))));
        var out = runner(0.0).run(List.of(Fixed.answering("small", 0.5), down)).join();
        assertThat(out.answer().by()).isEqualTo("small");
        assertThat(out.answeredBy()).isZero();
        assertThat(out.tried()).extracting(CascadeRunner.Tried::failure).containsExactly(null, "connection refused");
        assertThat(out.reason()).isEqualTo("http://127.0.0.1:9/v1 failed (connection refused): answered by small");

        Fixed cancelled = new Fixed("large", CompletableFuture.failedFuture(new IllegalArgumentException("gone")));
        assertThatThrownBy(() -> runner(0.0).run(List.of(Fixed.answering("small", 0.5), cancelled)).join())
                .hasCauseInstanceOf(IllegalArgumentException.class);
        // The first member has no answer to fall back to.
        assertThatThrownBy(() -> runner(0.0).run(List.of(down, Fixed.answering("large", 0.9))).join())
                .hasRootCauseMessage("connection refused");
    }
}
