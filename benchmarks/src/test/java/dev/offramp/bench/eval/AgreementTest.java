package dev.offramp.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AgreementTest {
    @Test
    void prefixStopsAtTheFirstDivergence() {
        assertThat(Agreement.prefix(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 4})).isEqualTo(4);
        assertThat(Agreement.prefix(new int[] {1, 2, 3, 4}, new int[] {1, 2, 9, 4})).isEqualTo(2);
        assertThat(Agreement.prefix(new int[] {1, 2, 3, 4}, new int[] {9, 2, 3, 4})).isZero();
    }

    @Test
    void matchesCountEveryEqualPositionEvenAfterADivergence() {
        assertThat(Agreement.matches(new int[] {1, 2, 3, 4}, new int[] {1, 9, 3, 4})).isEqualTo(3);
        assertThat(Agreement.matches(new int[] {1, 2, 3, 4}, new int[] {5, 6, 7, 8})).isZero();
    }

    @Test
    void ratesAverageOverPromptsAndPositions() {
        List<int[]> full = List.of(new int[] {1, 2, 3, 4}, new int[] {5, 6, 7, 8});
        List<int[]> mode = List.of(new int[] {1, 2, 0, 4}, new int[] {5, 6, 7, 8});
        // prefixes 2/4 and 4/4; positions 3 + 4 of 8
        assertThat(Agreement.prefixRate(full, mode)).isEqualTo(0.75);
        assertThat(Agreement.overallRate(full, mode)).isEqualTo(7.0 / 8);
        assertThat(Agreement.prefixRate(full, full)).isEqualTo(1.0);
        assertThat(Agreement.overallRate(full, full)).isEqualTo(1.0);
    }

    @Test
    void mismatchedGenerationsAreRefused() {
        assertThatThrownBy(() -> Agreement.overallRate(List.of(new int[] {1}), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 full and 0 mode");
    }
}
