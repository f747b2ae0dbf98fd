package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a spec can be wrong fails fast with a {@link PolicySpecException} that names the problem. */
class PolicySpecErrorsTest {
    private static final String KNOWN = "[confidence, margin, entropy, saturation, patience, consistency, decaying, "
            + "static, learned] or a composite all(…), any(…), quorum(n, …), strict(…)";

    private final PolicyRegistry registry = PolicyRegistry.standard();

    static Stream<Arguments> badNamesAndKeys() {
        return Stream.of(
                arguments("conf:threshold=0.9", "unknown policy 'conf', expected one of " + KNOWN),
                arguments("all(confidence:threshold=0.9, Patience)",
                        "unknown policy 'Patience', expected one of " + KNOWN),
                arguments("confidence:thresh=0.9",
                        "confidence: unknown key 'thresh', expected one of [threshold, min_layer, every, at]"),
                arguments("static:layer=3,min_layer=2", "static: unknown key 'min_layer', expected one of [layer]"),
                arguments("decaying:threshold=0.5,window=3", "decaying: unknown key 'window', "
                        + "expected one of [threshold, tau, horizon, min_layer, every, at]"),
                arguments("all(confidence:threshold=0.8,patience=2)",
                        "confidence: unknown key 'patience', expected one of [threshold, min_layer, every, at]"),
                arguments("confidence", "confidence: missing required key 'threshold'"),
                arguments("margin:min_layer=2", "margin: missing required key 'threshold'"),
                arguments("decaying:tau=2", "decaying: missing required key 'threshold'"),
                arguments("static", "static: missing required key 'layer'"),
                arguments("confidence:threshold=0.9,threshold=0.8", "confidence: duplicate key 'threshold'"));
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                arguments("confidence:threshold=high", "confidence: threshold expected a finite number, found 'high'"),
                arguments("confidence:threshold=NaN", "confidence: threshold expected a finite number, found 'NaN'"),
                arguments("entropy:threshold=Infinity",
                        "entropy: threshold expected a finite number, found 'Infinity'"),
                arguments("entropy:threshold=1e999", "entropy: threshold expected a finite number, found '1e999'"),
                arguments("margin:threshold=0.3f", "margin: threshold expected a finite number, found '0.3f'"),
                arguments("margin:threshold=0x1p-2", "margin: threshold expected a finite number, found '0x1p-2'"),
                arguments("patience:layers=2.5", "patience: layers expected an integer, found '2.5'"),
                arguments("patience:layers=99999999999", "patience: layers expected an integer, found '99999999999'"),
                arguments("confidence:threshold=0.9,min_layer=two",
                        "confidence: min_layer expected an integer, found 'two'"),
                arguments("confidence:threshold=1.5", "confidence: threshold expected in (0, 1], found 1.5"),
                arguments("confidence:threshold=0", "confidence: threshold expected in (0, 1], found 0.0"),
                arguments("margin:threshold=-0.1", "margin: threshold expected in [0, 1], found -0.1"),
                arguments("margin:threshold=1.01", "margin: threshold expected in [0, 1], found 1.01"),
                arguments("entropy:threshold=-1", "entropy: threshold expected finite and >= 0, found -1.0"),
                arguments("saturation:threshold=1.5", "saturation: threshold expected in [-1, 1], found 1.5"),
                arguments("saturation:threshold=-1.01", "saturation: threshold expected in [-1, 1], found -1.01"),
                arguments("patience:layers=0", "patience: layers expected >= 1, found 0"),
                arguments("consistency:threshold=0", "consistency: threshold expected in (0, 1], found 0.0"),
                arguments("consistency:threshold=1.2", "consistency: threshold expected in (0, 1], found 1.2"),
                arguments("consistency:window=0", "consistency: window expected >= 1, found 0"),
                arguments("decaying:threshold=1.1", "decaying: threshold expected in (0, 1], found 1.1"),
                arguments("decaying:threshold=0.5,tau=-1", "decaying: tau expected finite and >= 0, found -1.0"),
                arguments("decaying:threshold=0.5,horizon=0", "decaying: horizon expected >= 1, found 0"),
                arguments("static:layer=0", "static: layer expected >= 1, found 0"),
                arguments("confidence:threshold=0.9,min_layer=0", "confidence: min_layer expected >= 1, found 0"),
                arguments("confidence:threshold=0.9,every=0", "confidence: every expected >= 1, found 0"),
                arguments("confidence:threshold=0.9,at=0;3", "confidence: at expected layers >= 1, found 0"),
                arguments("confidence:threshold=0.9,at=3;;6",
                        "confidence: at expected layers like 3;6;9, found '3;;6'"),
                arguments("confidence:threshold=0.9,at=3,min_layer=2",
                        "confidence: expected either at or min_layer/every, found both"));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("", "empty policy spec: expected name[:key=value,…] or all(…)/any(…)/quorum(n, …)"),
                arguments("   ", "empty policy spec: expected name[:key=value,…] or all(…)/any(…)/quorum(n, …)"),
                arguments("all(confidence:threshold=0.8", "malformed policy spec \"all(confidence:threshold=0.8\" at 28: "
                        + "unbalanced parentheses, expected ')' to close 'all(', found end of spec"),
                arguments("any(all(static:layer=2)", "malformed policy spec \"any(all(static:layer=2)\" at 23: "
                        + "unbalanced parentheses, expected ')' to close 'any(', found end of spec"),
                arguments("confidence:threshold=0.8)", "malformed policy spec \"confidence:threshold=0.8)\" at 24: "
                        + "unbalanced parentheses, expected end of spec, found ')' with no matching '('"),
                arguments("all(static:layer=2))", "malformed policy spec \"all(static:layer=2))\" at 19: "
                        + "unbalanced parentheses, expected end of spec, found ')' with no matching '('"),
                arguments("all()", "malformed policy spec \"all()\" at 4: expected a policy name, found ')'"),
                arguments("all(static:layer=2,,patience)",
                        "malformed policy spec \"all(static:layer=2,,patience)\" at 19: expected a policy name, found ','"),
                arguments("all(static:layer=2 patience)", "malformed policy spec \"all(static:layer=2 patience)\" at 19: "
                        + "expected ',' or ')' in 'all(…)', found 'p'"),
                arguments("all", "malformed policy spec \"all\" at 3: expected '(' after 'all', found end of spec"),
                arguments("confidence(threshold=0.9)", "malformed policy spec \"confidence(threshold=0.9)\" at 10: "
                        + "'confidence' is not a composite (all, any, quorum), found '('"),
                arguments("confidence:", "malformed policy spec \"confidence:\" at 11: "
                        + "expected a key after 'confidence:', found end of spec"),
                arguments("confidence:threshold", "malformed policy spec \"confidence:threshold\" at 20: "
                        + "expected '=' after key 'threshold', found end of spec"),
                arguments("confidence:threshold=", "malformed policy spec \"confidence:threshold=\" at 21: "
                        + "expected a value for 'threshold', found end of spec"),
                arguments("confidence:threshold=0.9, patience", "malformed policy spec \"confidence:threshold=0.9, "
                        + "patience\" at 24: expected end of spec, found ',' (combine policies with all(…), any(…) "
                        + "or quorum(n, …))"),
                arguments("quorum(x, margin:threshold=0.3)", "quorum: n expected an integer, found 'x'"),
                arguments("quorum(1.5, margin:threshold=0.3)", "quorum: n expected an integer, found '1.5'"),
                arguments("quorum(3, margin:threshold=0.3, entropy:threshold=1)",
                        "quorum: n expected in [1, 2], found 3"),
                arguments("quorum(0, margin:threshold=0.3)", "quorum: n expected in [1, 1], found 0"),
                arguments("quorum(-1, margin:threshold=0.3)", "quorum: n expected in [1, 1], found -1"),
                arguments("quorum(2)", "malformed policy spec \"quorum(2)\" at 8: "
                        + "expected ',' after quorum's n, found ')'"),
                arguments("quorum()", "malformed policy spec \"quorum()\" at 7: expected quorum's n, found ')'"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource({"badNamesAndKeys", "badValues", "malformed"})
    void rejectsWithAMessageNamingTheProblem(String spec, String message) {
        assertThatThrownBy(() -> registry.parse(spec)).isInstanceOf(PolicySpecException.class).hasMessage(message);
    }

    /** Specs come from HTTP requests: 3,000 nested composites (15 KB) once overflowed the parsing thread's stack. */
    static Stream<Arguments> beyondTheLimits() {
        String deep = "all(".repeat(500) + "static:layer=1" + ")".repeat(500);
        return Stream.of(
                arguments("all(".repeat(3000) + "static:layer=1" + ")".repeat(3000),
                        "policy spec: expected at most 4096 characters, found 15014"),
                arguments(deep, "malformed policy spec \"" + deep.substring(0, 60) + "…\" at 68: "
                        + "composites nested deeper than 16 levels"),
                arguments("any(".repeat(17) + "static:layer=1" + ")".repeat(17), "malformed policy spec \""
                        + "any(".repeat(15) + "…\" at 68: composites nested deeper than 16 levels"),
                arguments("static:layer=" + "9".repeat(65), "malformed policy spec \"static:layer="
                        + "9".repeat(47) + "…\" at 13: expected a value for 'layer' of at most 64 characters, "
                        + "found 65"),
                arguments("c".repeat(900_000), "policy spec: expected at most 4096 characters, found 900000"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("beyondTheLimits")
    void boundsWhatARequestCanMakeTheParserDoAndQuotesOnlyAPrefix(String spec, String message) {
        assertThatThrownBy(() -> registry.parse(spec)).isInstanceOf(PolicySpecException.class).hasMessage(message);
    }

    @org.junit.jupiter.api.Test
    void sixteenLevelsStillParse() {
        String spec = "all(".repeat(16) + "static:layer=1" + ")".repeat(16);
        org.assertj.core.api.Assertions.assertThat(PolicySpec.parse(spec)).isInstanceOf(PolicySpec.Composite.class);
    }

    static Stream<Arguments> badConstructorArguments() {
        LayerSet every = LayerSet.range(1, 1);
        return Stream.of(
                arguments((ThrowingCallable) () -> ThresholdPolicy.confidence(Float.NaN, every),
                        "confidence: threshold expected in (0, 1], found NaN"),
                arguments((ThrowingCallable) () -> ThresholdPolicy.entropy(Float.POSITIVE_INFINITY, every),
                        "entropy: threshold expected finite and >= 0, found Infinity"),
                arguments((ThrowingCallable) () -> new ConsistencyPolicy(0.5f, -2, every),
                        "consistency: window expected >= 1, found -2"),
                arguments((ThrowingCallable) () -> CompositePolicy.any(List.of()),
                        "any: expected at least one child policy, found none"),
                arguments((ThrowingCallable) () -> CompositePolicy.quorum(2, List.of(new StaticPolicy(3))),
                        "quorum: n expected in [1, 1], found 2"),
                arguments((ThrowingCallable) () -> LayerSet.of(), "at expected at least one layer, found none"),
                arguments((ThrowingCallable) () -> LayerSet.range(2, 0), "every expected >= 1, found 0"),
                arguments((ThrowingCallable) () -> new PolicySpec.Composite("all", 1, List.of(
                                new PolicySpec.Leaf("a", Map.of()), new PolicySpec.Leaf("b", Map.of()))),
                        "all: required expected 2, found 1"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badConstructorArguments")
    void constructorsValidateToo(ThrowingCallable construct, String message) {
        assertThatThrownBy(construct).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }
}
