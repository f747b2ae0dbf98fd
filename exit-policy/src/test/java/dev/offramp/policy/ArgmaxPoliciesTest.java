package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** patience and consistency: agreement of the argmax across the checked layers so far. */
class ArgmaxPoliciesTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @ParameterizedTest(name = "{0} on [{1}] -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            patience          | 1 a=5                          | false
            patience          | 1 a=5; 2 a=5                   | true
            patience          | 1 a=5; 2 a=6                   | false
            patience          | 1 a=5; 2 a=6; 3 a=6            | true
            patience          | 1 a=6; 2 a=6; 3 a=5            | false
            patience          | 1 a=-1; 2 a=-1                 | false
            patience:layers=1 | 1 a=5                          | true
            patience:layers=1 | 1 a=5; 2 a=9                   | true
            patience:layers=1 | 1 a=-1                         | false
            patience:layers=3 | 1 a=7; 2 a=7                   | false
            patience:layers=3 | 1 a=7; 2 a=7; 3 a=7            | true
            patience:layers=3 | 1 a=1; 2 a=7; 3 a=7; 4 a=7     | true
            patience:layers=3 | 1 a=7; 2 a=7; 3 a=1; 4 a=7     | false
            patience:layers=3 | 2 a=7; 5 a=7; 8 a=7            | true
            patience:layers=3 | 1 a=7 p=1; 2 a=8 p=1; 3 a=7 p=1 | false
            """)
    void patience(String spec, String history, boolean exits) {
        assertThat(registry.parse(spec).shouldExit(States.token(history))).isEqualTo(exits);
    }

    @ParameterizedTest(name = "{0} on [{1}] -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            consistency                                | 1 a=3; 2 a=3; 3 a=3                     | false
            consistency                                | 1 a=3; 2 a=3; 3 a=3; 4 a=3              | true
            consistency                                | 1 a=1; 2 a=3; 3 a=3; 4 a=3              | false
            consistency:threshold=0.75,window=4        | 1 a=1; 2 a=3; 3 a=3; 4 a=3              | true
            consistency:threshold=0.75,window=4        | 1 a=1; 2 a=1; 3 a=3; 4 a=3              | false
            consistency:threshold=0.8,window=5         | 1 a=1; 2 a=3; 3 a=3; 4 a=3; 5 a=3       | true
            consistency:threshold=0.8,window=5         | 1 a=1; 2 a=1; 3 a=3; 4 a=3; 5 a=3       | false
            consistency:threshold=0.33333334,window=3  | 1 a=1; 2 a=2; 3 a=3                     | true
            consistency:threshold=0.34,window=3        | 1 a=1; 2 a=2; 3 a=3                     | false
            consistency                                | 1 a=1; 2 a=1; 3 a=1; 4 a=2; 5 a=2; 6 a=2; 7 a=2 | true
            consistency:threshold=0.25                 | 1 a=2; 2 a=2; 3 a=2; 4 a=2; 5 a=1       | true
            consistency:threshold=0.3                  | 1 a=2; 2 a=2; 3 a=2; 4 a=2; 5 a=1       | false
            consistency:threshold=0.5                  | 1 a=2; 2 a=2; 3 a=2; 4 a=1              | false
            consistency:threshold=1,window=1           | 1 a=9                                   | true
            consistency:threshold=1,window=1           | 1 a=-1                                  | false
            consistency:threshold=1,window=2           | 1 a=-1; 2 a=-1                          | false
            """)
    void consistency(String spec, String history, boolean exits) {
        assertThat(registry.parse(spec).shouldExit(States.token(history))).isEqualTo(exits);
    }

    @ParameterizedTest(name = "{0} ignores position {1}")
    @CsvSource(delimiter = '|', textBlock = """
            patience:layers=2                  | 0
            patience:layers=2                  | 4096
            consistency:threshold=1,window=2   | 0
            consistency:threshold=1,window=2   | 4096
            """)
    void ignorePosition(String spec, int position) {
        ExitPolicy policy = registry.parse(spec);
        assertThat(policy.shouldExit(States.token(position, "1 a=4; 2 a=4"))).isTrue();
        assertThat(policy.shouldExit(States.token(position, "1 a=4; 2 a=5"))).isFalse();
    }
}
