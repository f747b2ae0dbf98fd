package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where each policy looks in a 12-layer model (never the last layer) and which signals it asks for there. */
class ScheduleTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "{0} checks [{1}]")
    @CsvSource(delimiter = '|', textBlock = """
            confidence:threshold=0.9                       | 1;2;3;4;5;6;7;8;9;10;11 | TOP1_PROB         | true
            confidence:threshold=0.9,min_layer=3           | 3;4;5;6;7;8;9;10;11     | TOP1_PROB         | true
            margin:threshold=0.3,every=2                   | 1;3;5;7;9;11            | MARGIN            | true
            entropy:threshold=1,min_layer=4,every=4        | 4;8                     | ENTROPY           | true
            saturation:threshold=0.99,at=3;6;9;12          | 3;6;9                   | COSINE            | false
            saturation:threshold=0.99,min_layer=11         | 11                      | COSINE            | false
            patience:layers=2,min_layer=2,every=3          | 2;5;8;11                | ARGMAX            | true
            consistency:min_layer=12                       | ''                      | ARGMAX            | true
            consistency:min_layer=40                       | ''                      | ARGMAX            | true
            decaying:threshold=0.5,at=11                   | 11                      | TOP1_PROB         | true
            decaying:threshold=0.5,at=11;2;2               | 2;11                    | TOP1_PROB         | true
            static:layer=6                                 | 6                       | ''                | false
            static:layer=1                                 | 1                       | ''                | false
            static:layer=12                                | ''                      | ''                | false
            all(confidence:threshold=0.9,at=2;4, saturation:threshold=0.9,min_layer=9) | 2;4;9;10;11 | TOP1_PROB;COSINE | true
            any(static:layer=3, saturation:threshold=0.9,at=5)                          | 3;5         | COSINE           | false
            quorum(1, patience:every=5, margin:threshold=0.1,at=2)                      | 1;2;6;11    | MARGIN;ARGMAX    | true
            """)
    void checksTheseLayers(String spec, String layers, String signals, boolean lmHead) {
        Schedule schedule = registry.parse(spec).schedule();
        assertThat(States.checked(schedule)).isEqualTo(layers);
        assertThat(schedule.signals()).isEqualTo(parseSignals(signals));
        assertThat(schedule.needsLmHead()).isEqualTo(lmHead);
    }

    @ParameterizedTest(name = "static:layer={0} exits after [{1}]")
    @CsvSource(delimiter = '|', textBlock = """
            6 | 6                   | 0
            6 | 6 p=0.01 e=9 c=-1   | 17
            1 | 1                   | 3
            """)
    void staticAlwaysExitsWhereItLooks(int layer, String history, int position) {
        StaticPolicy policy = new StaticPolicy(layer);
        assertThat(policy.schedule().checks(layer, States.TOTAL)).isTrue();
        assertThat(policy.shouldExit(States.token(position, history))).isTrue();
        assertThat(policy).hasToString("static:layer=" + layer);
    }

    @ParameterizedTest(name = "{0} prints as ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            1  | 1  | ''
            3  | 1  | min_layer=3
            1  | 2  | every=2
            3  | 2  | min_layer=3,every=2
            """)
    void rangePrintsItsSpecKeys(int minLayer, int every, String text) {
        assertThat(LayerSet.range(minLayer, every)).hasToString(text);
    }

    @ParameterizedTest(name = "at {0} contains {1}")
    @CsvSource(delimiter = '|', textBlock = """
            9;3;6;3 | 3;6;9 | at=3;6;9
            12      | ''    | at=12
            1       | 1     | at=1
            """)
    void explicitSetsAreSortedAndDistinct(String layers, String checked, String text) {
        int[] at = Arrays.stream(layers.split(";")).mapToInt(Integer::parseInt).toArray();
        LayerSet set = LayerSet.of(at);
        assertThat(set).hasToString(text);
        assertThat(States.checked(new Schedule(Set.of(), set))).isEqualTo(checked);
    }

    private static Set<Signal> parseSignals(String names) {
        return names.isEmpty()
                ? Set.of()
                : Arrays.stream(names.split(";")).map(Signal::valueOf).collect(Collectors.toSet());
    }
}
