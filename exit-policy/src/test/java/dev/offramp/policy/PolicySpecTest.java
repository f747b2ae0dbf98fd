package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The spec grammar, and specs that round-trip: parse(p.toString()) prints and behaves the same as p. */
class PolicySpecTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            confidence:threshold=0.9,min_layer=3                       | confidence:threshold=0.9,min_layer=3
            '  confidence : threshold = 0.9 , min_layer = 3  '         | confidence:threshold=0.9,min_layer=3
            confidence:threshold=0.9,min_layer=1,every=1               | confidence:threshold=0.9
            confidence:threshold=1e-1                                  | confidence:threshold=0.1
            confidence:threshold=1.0E-5                                | confidence:threshold=1.0E-5
            margin:threshold=.3                                        | margin:threshold=0.3
            entropy:every=2,threshold=1.5                              | entropy:threshold=1.5,every=2
            saturation:threshold=-0.5,at=9;3;6                         | saturation:threshold=-0.5,at=3;6;9
            patience                                                   | patience:layers=2
            patience:layers=3,min_layer=2,every=2                      | patience:layers=3,min_layer=2,every=2
            consistency                                                | consistency:threshold=0.8,window=4
            consistency:window=6,threshold=0.5                         | consistency:threshold=0.5,window=6
            decaying:threshold=0.9                                     | decaying:threshold=0.9,tau=4.0,horizon=64
            decaying:threshold=0.9,tau=2,horizon=128,at=4;8            | decaying:threshold=0.9,tau=2.0,horizon=128,at=4;8
            static:layer=6                                             | static:layer=6
            static:layer=+6                                            | static:layer=6
            all(confidence:threshold=0.8,patience:layers=2)            | all(confidence:threshold=0.8, patience:layers=2)
            any(patience,confidence:threshold=0.8)                     | any(patience:layers=2, confidence:threshold=0.8)
            quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99)
            any( all( confidence:threshold=0.8 , min_layer=2 , patience ) , quorum( 1 , static:layer=4 ) ) | any(all(confidence:threshold=0.8,min_layer=2, patience:layers=2), quorum(1, static:layer=4))
            """)
    void printsCanonicalSpec(String spec, String canonical) {
        ExitPolicy policy = registry.parse(spec);
        assertThat(policy).hasToString(canonical);
        assertThat(registry.parse(canonical)).hasToString(canonical);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            confidence:threshold=0.37,every=3
            margin:threshold=0.21,at=2;5;7
            entropy:threshold=2.2,min_layer=4
            saturation:threshold=0.5
            patience:layers=3
            consistency:threshold=0.5,window=3,min_layer=2
            decaying:threshold=0.45,tau=2.5,horizon=20
            all(confidence:threshold=0.4,every=2, patience:layers=2,min_layer=3)
            any(static:layer=7, saturation:threshold=0.7,at=2;4;6)
            quorum(2, margin:threshold=0.2, entropy:threshold=2, consistency:threshold=0.6,window=3, decaying:threshold=0.5)
            any(all(confidence:threshold=0.3, margin:threshold=0.1,min_layer=5), quorum(1, patience:layers=2,every=2))
            """)
    void roundTripBehavesTheSame(String spec) {
        ExitPolicy original = registry.parse(spec);
        ExitPolicy again = registry.parse(original.toString());
        assertThat(States.checked(again.schedule())).isEqualTo(States.checked(original.schedule()));
        assertThat(again.schedule().signals()).isEqualTo(original.schedule().signals());
        SplittableRandom random = new SplittableRandom(spec.hashCode());
        int exits = 0;
        for (int i = 0; i < 500; i++) {
            TokenState token = randomToken(random, original.schedule());
            boolean verdict = original.shouldExit(token);
            assertThat(again.shouldExit(token)).as("%s", token).isEqualTo(verdict);
            exits += verdict ? 1 : 0;
        }
        assertThat(exits).as("the random states exercise both verdicts").isBetween(1, 499);
    }

    @Test
    void commaContinuesKeysOnlyWhileTheNextTokenIsKeyEqualsValue() {
        PolicySpec spec = PolicySpec.parse("all(confidence:threshold=0.8, min_layer = 3,patience, static:layer=2)");
        assertThat(spec).isEqualTo(new PolicySpec.Composite("all", 3, List.of(
                new PolicySpec.Leaf("confidence", Map.of("threshold", "0.8", "min_layer", "3")),
                new PolicySpec.Leaf("patience", Map.of()),
                new PolicySpec.Leaf("static", Map.of("layer", "2")))));
    }

    @Test
    void quorumKeepsItsCount() {
        PolicySpec spec = PolicySpec.parse("quorum(2, margin:threshold=0.3, any(entropy:threshold=1))");
        assertThat(spec).isEqualTo(new PolicySpec.Composite("quorum", 2, List.of(
                new PolicySpec.Leaf("margin", Map.of("threshold", "0.3")),
                new PolicySpec.Composite("any", 1, List.of(new PolicySpec.Leaf("entropy", Map.of("threshold", "1")))))));
    }

    @Test
    void registryListsEveryStandardPolicy() {
        assertThat(registry.names()).containsExactly(
                "confidence", "margin", "entropy", "saturation", "patience", "consistency", "decaying", "static", "learned");
    }

    /** Signals near the thresholds above, at a random prefix of the layers {@code schedule} checks. */
    private static TokenState randomToken(SplittableRandom random, Schedule schedule) {
        List<LayerSignals> history = new ArrayList<>();
        int depth = 1 + random.nextInt(States.TOTAL - 1);
        for (int layer = 1; layer <= depth; layer++) {
            if (schedule.checks(layer, States.TOTAL)) {
                history.add(new LayerSignals(layer, random.nextFloat(), random.nextFloat() * 0.5f,
                        random.nextFloat() * 4, random.nextInt(2), random.nextFloat()));
            }
        }
        if (history.isEmpty()) {
            history.add(new LayerSignals(depth, random.nextFloat(), 0, 0, 0, 1));
        }
        return new TokenState(random.nextInt(100), States.TOTAL, history);
    }
}
