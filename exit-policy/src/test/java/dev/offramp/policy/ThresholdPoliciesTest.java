package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** confidence, margin, entropy and saturation: one signal at the current layer against a threshold. */
class ThresholdPoliciesTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "{0} on [{1}] -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            confidence:threshold=0.9   | 1 p=0.9                    | true
            confidence:threshold=0.9   | 1 p=0.8999                 | false
            confidence:threshold=0.9   | 1 p=0.95                   | true
            confidence:threshold=0.9   | 1 p=0.1                    | false
            confidence:threshold=1     | 1 p=1                      | true
            confidence:threshold=1     | 1 p=0.99999                | false
            confidence:threshold=0.001 | 1 p=0.001                  | true
            confidence:threshold=0.9   | 1 p=0.95; 2 p=0.5          | false
            confidence:threshold=0.9   | 1 p=0.1; 2 p=0.2; 3 p=0.91 | true
            confidence:threshold=0.5   | 1 m=0.9 e=0.1 c=1          | false
            margin:threshold=0.3       | 1 m=0.3                    | true
            margin:threshold=0.3       | 1 m=0.2999                 | false
            margin:threshold=0.3       | 1 m=0.8                    | true
            margin:threshold=0         | 1 m=0                      | true
            margin:threshold=1         | 1 m=1                      | true
            margin:threshold=1         | 1 m=0.9999                 | false
            margin:threshold=0.3       | 1 m=0.9; 2 m=0.1           | false
            margin:threshold=0.3       | 1 p=0.99                   | false
            entropy:threshold=1.5      | 1 e=1.5                    | true
            entropy:threshold=1.5      | 1 e=1.5001                 | false
            entropy:threshold=1.5      | 1 e=0.2                    | true
            entropy:threshold=1.5      | 1 e=7.2                    | false
            entropy:threshold=0        | 1 e=0                      | true
            entropy:threshold=0        | 1 e=0.0001                 | false
            entropy:threshold=1.5      | 1 e=0.1; 2 e=3             | false
            entropy:threshold=1.5      | 1 p=1                      | false
            saturation:threshold=0.99  | 1 c=0.99                   | true
            saturation:threshold=0.99  | 1 c=0.9899                 | false
            saturation:threshold=0.99  | 1 c=1                      | true
            saturation:threshold=-1    | 1 c=-1                     | true
            saturation:threshold=1     | 1 c=1                      | true
            saturation:threshold=1     | 1 c=0.9999                 | false
            saturation:threshold=0     | 1 c=-0.0001                | false
            saturation:threshold=0.99  | 1 c=0.999; 2 c=0.5         | false
            saturation:threshold=0.99  | 1 p=1 m=1 e=0              | false
            """)
    void exitsOnCurrentLayerOnly(String spec, String history, boolean exits) {
        assertThat(registry.parse(spec).shouldExit(States.token(history))).isEqualTo(exits);
    }

    @ParameterizedTest(name = "{0} at position {1}")
    @CsvSource(delimiter = '|', textBlock = """
            confidence:threshold=0.7 | 0
            margin:threshold=0.2     | 500
            entropy:threshold=2      | 10000
            saturation:threshold=0.9 | 63
            """)
    void ignorePosition(String spec, int position) {
        ExitPolicy policy = registry.parse(spec);
        TokenState meets = States.token(position, "1 p=0.7 m=0.2 e=2 c=0.9");
        TokenState misses = States.token(position, "1 p=0.69 m=0.19 e=2.01 c=0.89");
        assertThat(policy.shouldExit(meets)).isTrue();
        assertThat(policy.shouldExit(misses)).isFalse();
    }

    @ParameterizedTest(name = "new {0}({1})")
    @CsvSource(delimiter = '|', textBlock = """
            confidence | 0.9  | confidence:threshold=0.9
            margin     | 0.25 | margin:threshold=0.25
            entropy    | 1.5  | entropy:threshold=1.5
            saturation | -0.5 | saturation:threshold=-0.5
            """)
    void constructorsMatchTheRegistry(String name, float threshold, String spec) {
        LayerSet everyLayer = LayerSet.range(1, 1);
        ExitPolicy policy = switch (name) {
            case "confidence" -> ThresholdPolicy.confidence(threshold, everyLayer);
            case "margin" -> ThresholdPolicy.margin(threshold, everyLayer);
            case "entropy" -> ThresholdPolicy.entropy(threshold, everyLayer);
            default -> ThresholdPolicy.saturation(threshold, everyLayer);
        };
        assertThat(policy).hasToString(spec);
        assertThat(policy.toString()).isEqualTo(registry.parse(spec).toString());
    }
}
