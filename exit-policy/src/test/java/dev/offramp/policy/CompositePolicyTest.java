package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * all / any / quorum with children on different schedules. Each child sees only the layers its own schedule checks,
 * and its latest verdict stands at layers it does not check; a child that has checked nothing votes continue.
 */
class CompositePolicyTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "{0} on [{1}] -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # patience checks 1;3;5… only: the filtered history decides, not the raw one
            all(patience:every=2, confidence:threshold=0.5) | 1 a=5 p=0.6; 2 a=7 p=0.6; 3 a=5 p=0.6        | true
            all(patience:every=2, confidence:threshold=0.5) | 1 a=7 p=0.6; 2 a=5 p=0.6; 3 a=5 p=0.6        | false
            all(patience:every=2, confidence:threshold=0.5) | 1 a=5 p=0.6; 2 a=7 p=0.6; 3 a=5 p=0.4        | false
            # layer 4 is not patience's: its verdict from layer 3 stands
            all(patience:every=2, confidence:threshold=0.5) | 1 a=5 p=0.6; 2 a=7; 3 a=5 p=0.6; 4 a=9 p=0.6 | true
            all(patience:every=2, confidence:threshold=0.5) | 1 a=5 p=0.6; 2 a=7; 3 a=5 p=0.6; 4 a=9 p=0.4 | false
            any(patience:every=2, confidence:threshold=0.5) | 1 a=5 p=0.1; 2 a=7 p=0.1; 3 a=5 p=0.1        | true
            any(patience:every=2, confidence:threshold=0.5) | 1 a=7 p=0.1; 2 a=5 p=0.1; 3 a=5 p=0.1        | false
            # a child that has not looked yet votes continue
            any(static:layer=6, confidence:threshold=0.9)   | 2 p=0.5                                       | false
            any(static:layer=6, confidence:threshold=0.9)   | 2 p=0.95                                      | true
            any(static:layer=6, confidence:threshold=0.9)   | 2 p=0.5; 6 p=0.5                              | true
            all(static:layer=6, confidence:threshold=0.9)   | 2 p=0.95                                      | false
            all(static:layer=6, confidence:threshold=0.9)   | 2 p=0.95; 6 p=0.95                            | true
            all(static:layer=6, confidence:threshold=0.9)   | 2 p=0.95; 6 p=0.95; 7 p=0.5                   | false
            # confidence decided at layer 2, margin looks at 4 only, saturation everywhere
            quorum(2, confidence:threshold=0.8,at=2, margin:threshold=0.3,at=4, saturation:threshold=0.9) | 2 p=0.9 c=0.1; 3 c=0.1; 4 m=0.1 c=0.95 | true
            quorum(2, confidence:threshold=0.8,at=2, margin:threshold=0.3,at=4, saturation:threshold=0.9) | 2 p=0.9 c=0.1; 3 c=0.1; 4 m=0.1 c=0.5  | false
            quorum(2, confidence:threshold=0.8,at=2, margin:threshold=0.3,at=4, saturation:threshold=0.9) | 2 p=0.9 c=0.1; 3 c=0.95                | true
            quorum(2, confidence:threshold=0.8,at=2, margin:threshold=0.3,at=4, saturation:threshold=0.9) | 2 p=0.5 c=0.1; 3 c=0.95                | false
            quorum(3, confidence:threshold=0.8,at=2, margin:threshold=0.3,at=4, saturation:threshold=0.9) | 2 p=0.9 c=0.1; 3 c=0.1; 4 m=0.3 c=0.9  | true
            quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.3 e=2 c=0.5      | false
            quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.3 e=1.5 c=0.5    | true
            quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.1 e=1.6 c=0.99   | false
            quorum(2, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.9 e=0.1 c=1      | true
            quorum(1, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.1 e=1.6 c=0.99   | true
            quorum(1, margin:threshold=0.3, entropy:threshold=1.5, saturation:threshold=0.99) | 1 m=0.1 e=1.6 c=0.98   | false
            # nesting: the inner composite's children are filtered by their own schedules too
            any(all(confidence:threshold=0.9,at=1, margin:threshold=0.5,at=2), patience:layers=3,at=3;4;5) | 1 p=0.95; 2 m=0.6                      | true
            any(all(confidence:threshold=0.9,at=1, margin:threshold=0.5,at=2), patience:layers=3,at=3;4;5) | 1 p=0.5; 2 m=0.6                       | false
            any(all(confidence:threshold=0.9,at=1, margin:threshold=0.5,at=2), patience:layers=3,at=3;4;5) | 1 p=0.5 a=8; 2 m=0.6 a=8; 3 a=8; 4 a=8 | false
            any(all(confidence:threshold=0.9,at=1, margin:threshold=0.5,at=2), patience:layers=3,at=3;4;5) | 1 p=0.5; 2 m=0.6; 3 a=8; 4 a=8; 5 a=8  | true
            """)
    void votesOverFilteredVerdicts(String spec, String history, boolean exits) {
        assertThat(registry.parse(spec).shouldExit(States.token(history))).isEqualTo(exits);
    }

    @ParameterizedTest(name = "{0} needs {1} of its children")
    @CsvSource(delimiter = '|', textBlock = """
            all    | 3 | all(
            any    | 1 | any(
            quorum | 2 | 'quorum(2, '
            """)
    void factoriesAgreeWithTheParser(String name, int required, String prefix) {
        List<ExitPolicy> children = List.of(ThresholdPolicy.confidence(0.9f, LayerSet.range(2, 1)),
                new PatiencePolicy(2, LayerSet.of(3, 6)), new StaticPolicy(8));
        CompositePolicy composite = switch (name) {
            case "all" -> CompositePolicy.all(children);
            case "any" -> CompositePolicy.any(children);
            default -> CompositePolicy.quorum(2, children);
        };
        String childSpecs = "confidence:threshold=0.9,min_layer=2, patience:layers=2,at=3;6, static:layer=8)";
        String expected = prefix + childSpecs;
        assertThat(composite.required()).isEqualTo(required);
        assertThat(composite.children()).isEqualTo(children);
        assertThat(composite).hasToString(expected);
        assertThat(registry.parse(expected)).hasToString(expected);
        assertThat(States.checked(composite.schedule())).isEqualTo("2;3;4;5;6;7;8;9;10;11");
    }
}
