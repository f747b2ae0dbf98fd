package dev.offramp.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The built-in policies' docs say what the registry does: every example runs, every documented default is the value
 * taken when the key is left out, every key documented as required is refused when missing.
 */
class PolicyDocTest {
    private final PolicyRegistry registry = PolicyRegistry.standard();

    @Test
    void everyBuiltInIsDocumentedWithAnExampleThatParses() {
        assertThat(registry.factories()).extracting(PolicyFactory::name).containsExactlyElementsOf(registry.names());
        for (PolicyFactory f : registry.factories()) {
            assertThat(f.doc()).as(f.name()).isNotNull();
            assertThat(f.doc().paper()).as(f.name()).isNotBlank();
            assertThat(f.doc().keys()).extracting(PolicyDoc.Key::name).as(f.name())
                    .containsExactlyElementsOf(f.keys());
            if (f.doc().example() == null) {
                // Only the learned gate names a file its user trains: without one its spec is refused, by name.
                assertThat(f.name()).isEqualTo("learned");
                assertThatThrownBy(() -> registry.parse("learned:gate=no-such.gate"))
                        .hasMessageContaining("learned: gate no-such.gate: cannot read it");
                continue;
            }
            PolicySpec spec = PolicySpec.parse(f.doc().example());
            assertThat(spec).isInstanceOfSatisfying(PolicySpec.Leaf.class,
                    l -> assertThat(l.name()).isEqualTo(f.name()));
            assertThat(registry.build(spec)).as(f.doc().example()).isNotNull();
        }
    }

    @Test
    void documentedDefaultsAreTheValuesTakenWhenLeftOut() {
        int checked = 0;
        for (PolicyFactory f : registry.factories()) {
            if (f.doc().example() == null) {
                continue;  // a spec naming a file (learned): the first test
            }
            PolicySpec.Leaf example = (PolicySpec.Leaf) PolicySpec.parse(f.doc().example());
            for (PolicyDoc.Key key : f.doc().keys()) {
                if (key.defaultValue() == null) {
                    continue;
                }
                // A policy prints the values it holds: the same print with and without the key is the same policy.
                String left = print(example, p -> { p.remove(key.name()); return p; });
                String given = print(example, p -> { p.put(key.name(), key.defaultValue()); return p; });
                assertThat(left).as("%s without %s", f.name(), key.name()).isEqualTo(given);
                checked++;
            }
        }
        // patience's layers, consistency's threshold and window, decaying's tau and horizon; 7 × min_layer, every
        assertThat(checked).as("defaults checked").isEqualTo(5 + 2 * 7);
    }

    @Test
    void keysDocumentedAsRequiredAreRefusedWhenMissing() {
        for (PolicyFactory f : registry.factories()) {
            if (f.doc().example() == null) {
                continue;  // a spec naming a file (learned): the first test
            }
            PolicySpec.Leaf example = (PolicySpec.Leaf) PolicySpec.parse(f.doc().example());
            for (PolicyDoc.Key key : f.doc().keys()) {
                Map<String, String> params = new LinkedHashMap<>(example.params());
                params.remove(key.name());
                if (key.required()) {
                    assertThatThrownBy(() -> registry.build(new PolicySpec.Leaf(f.name(), params)))
                            .isInstanceOf(PolicySpecException.class)
                            .hasMessage(f.name() + ": missing required key '" + key.name() + "'");
                } else {
                    assertThat(registry.build(new PolicySpec.Leaf(f.name(), params))).as(f.name() + " " + key.name())
                            .isNotNull();
                }
            }
        }
    }

    @Test
    void aDocMustDescribeExactlyTheAcceptedKeys() {
        PolicyDoc doc = new PolicyDoc("exits at once", null, "now", List.of(PolicyDoc.Key.required("x", "an x")));
        assertThatThrownBy(() -> new PolicyFactory("now", List.of("y"), p -> new StaticPolicy(1), doc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("policy now: doc keys expected [y], found [x]");
        assertThat(new PolicyFactory("now", List.of(), p -> new StaticPolicy(1)).doc()).isNull();
    }

    private String print(PolicySpec.Leaf example, Function<Map<String, String>, Map<String, String>> edit) {
        return registry.build(new PolicySpec.Leaf(example.name(), edit.apply(new LinkedHashMap<>(example.params()))))
                .toString();
    }
}
