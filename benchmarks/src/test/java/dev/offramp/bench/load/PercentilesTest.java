package dev.offramp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {
    @Test
    void nearestRankPicksAMeasuredValue() {
        Percentiles p = new Percentiles(new double[] {50, 15, 40, 20, 35});  // unsorted on purpose
        assertThat(p.count()).isEqualTo(5);
        assertThat(p.at(5)).isEqualTo(15);
        assertThat(p.at(30)).isEqualTo(20);
        assertThat(p.at(40)).isEqualTo(20);
        assertThat(p.at(50)).isEqualTo(35);
        assertThat(p.at(99)).isEqualTo(50);
        assertThat(p.at(100)).isEqualTo(50);
    }

    @Test
    void oneToAHundred() {
        Percentiles p = new Percentiles(IntStream.rangeClosed(1, 100).asDoubleStream().toArray());
        assertThat(p.at(1)).isEqualTo(1);
        assertThat(p.at(50)).isEqualTo(50);
        assertThat(p.at(99)).isEqualTo(99);  // not 100: p·n/100 is exact
        assertThat(p.at(99.5)).isEqualTo(100);
    }

    @Test
    void aSingleValueIsEveryPercentile() {
        Percentiles p = new Percentiles(new double[] {7.5});
        assertThat(p.at(0.1)).isEqualTo(7.5);
        assertThat(p.at(100)).isEqualTo(7.5);
    }

    @Test
    void anEmptySampleHasNoPercentiles() {
        assertThat(new Percentiles(new double[0]).at(50)).isNaN();
    }

    @Test
    void percentileOutOfRangeIsRefused() {
        Percentiles p = new Percentiles(new double[] {1});
        assertThatThrownBy(() -> p.at(0)).hasMessageContaining("expected p in (0, 100], found 0.0");
        assertThatThrownBy(() -> p.at(101)).hasMessageContaining("found 101.0");
    }
}
