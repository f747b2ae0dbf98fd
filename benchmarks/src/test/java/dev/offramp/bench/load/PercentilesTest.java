package dev.offramp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class PercentilesTest {
    /** What HdrHistogram at 3 significant digits reports for a recorded value of {@code ms}. */
    private static double held(double ms) {
        return new Histogram(3).highestEquivalentValue(Math.round(ms * 1000)) / 1000.0;
    }

    @Test
    void nearestRankPicksAMeasuredValue() {
        Percentiles p = new Percentiles(new double[] {50, 15, 40, 20, 35});  // unsorted on purpose
        assertThat(p.count()).isEqualTo(5);
        assertThat(p.at(5)).isEqualTo(held(15));
        assertThat(p.at(30)).isEqualTo(held(20));
        assertThat(p.at(40)).isEqualTo(held(20));
        assertThat(p.at(50)).isEqualTo(held(35));
        assertThat(p.at(99)).isEqualTo(held(50));
        assertThat(p.at(100)).isEqualTo(held(50));
    }

    @Test
    void aHeldValueIsTheMeasuredOneToATenthOfAPercent() {
        assertThat(held(35)).isGreaterThanOrEqualTo(35).isCloseTo(35, within(35 * 1e-3));
        assertThat(held(1.5)).as("exact below 2.048 ms").isEqualTo(1.5);
        assertThat(held(0.001)).isEqualTo(0.001);
    }

    @Test
    void oneToAHundred() {
        Percentiles p = new Percentiles(IntStream.rangeClosed(1, 100).mapToDouble(i -> i / 100.0).toArray());
        assertThat(p.at(1)).isEqualTo(0.01);
        assertThat(p.at(50)).isEqualTo(0.5);
        assertThat(p.at(99)).isEqualTo(0.99);  // not 1.0: p·n/100 is exact
        assertThat(p.at(99.5)).isEqualTo(1.0);
    }

    @Test
    void aSingleValueIsEveryPercentile() {
        Percentiles p = new Percentiles(new double[] {7.5});
        assertThat(p.at(0.1)).isEqualTo(held(7.5));
        assertThat(p.at(100)).isEqualTo(held(7.5));
    }

    @Test
    void anEmptySampleHasNoPercentiles() {
        assertThat(new Percentiles(new double[0]).at(50)).isNaN();
    }

    @Test
    void percentileOutOfRangeOrANegativeLatencyIsRefused() {
        Percentiles p = new Percentiles(new double[] {1});
        assertThatThrownBy(() -> p.at(0)).hasMessageContaining("expected p in (0, 100], found 0.0");
        assertThatThrownBy(() -> p.at(101)).hasMessageContaining("found 101.0");
        assertThatThrownBy(() -> new Percentiles(new double[] {-1})).hasMessageContaining("found -1.0");
    }
}
