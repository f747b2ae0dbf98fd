package dev.offramp.policy;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/** Policy names → factories; turns spec text into a policy and fails fast, naming the problem, on anything else. */
public final class PolicyRegistry {
    private final Map<String, PolicyFactory> factories;
    private final List<String> names;

    public PolicyRegistry(List<PolicyFactory> factories) {
        Map<String, PolicyFactory> byName = new LinkedHashMap<>();
        for (PolicyFactory f : factories) {
            if (byName.putIfAbsent(f.name(), f) != null) {
                throw new IllegalArgumentException("policy names expected unique, found '" + f.name() + "' twice");
            }
        }
        this.factories = Map.copyOf(byName);
        this.names = List.copyOf(byName.keySet());
    }

    /** Every policy in this module. */
    public static PolicyRegistry standard() {
        return new PolicyRegistry(builtIns());
    }

    /**
     * The built-in policies and those of every {@link PolicyProvider} on the classpath and, when {@code pluginDir}
     * is not null, in the jars of that directory. A provider that fails to load, or a policy whose name is taken,
     * is refused with a message naming the provider, its jar and the name.
     */
    public static PolicyRegistry withPlugins(Path pluginDir) {
        ClassLoader loader = pluginDir == null ? PolicyRegistry.class.getClassLoader() : jars(pluginDir);
        List<PolicyFactory> all = new ArrayList<>(builtIns());
        Map<String, String> owner = new HashMap<>();
        all.forEach(f -> owner.put(f.name(), "a built-in policy"));
        try {
            for (PolicyProvider provider : ServiceLoader.load(PolicyProvider.class, loader)) {
                String source = provider.getClass().getName() + " (" + location(provider) + ")";
                for (PolicyFactory f : provider.policies()) {
                    String taken = owner.putIfAbsent(f.name(), "the policy of " + source);
                    if (taken != null) {
                        throw new IllegalArgumentException("plug-in policy '" + f.name() + "' of " + source
                                + ": expected a new name, found it taken by " + taken);
                    }
                    all.add(f);
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("plug-in policies: " + e.getMessage(), e);
        }
        return new PolicyRegistry(all);
    }

    /** A loader over the directory's jars, in name order; it lives as long as the policies it loaded. */
    private static ClassLoader jars(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("plug-ins: expected a directory of policy jars, found "
                    + (Files.exists(dir) ? "a file" : "nothing") + " at " + dir);
        }
        try (Stream<Path> files = Files.list(dir)) {
            URL[] urls = files.filter(f -> f.toString().endsWith(".jar")).sorted().map(PolicyRegistry::url)
                    .toArray(URL[]::new);
            return new URLClassLoader(urls, PolicyRegistry.class.getClassLoader());
        } catch (IOException e) {
            throw new IllegalArgumentException("plug-ins: cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("plug-ins: " + jar + ": " + e.getMessage(), e);
        }
    }

    private static String location(PolicyProvider provider) {
        CodeSource source = provider.getClass().getProtectionDomain().getCodeSource();
        return source == null ? "the classpath" : source.getLocation().toString();
    }

    private static List<PolicyFactory> builtIns() {
        String calm = "Schuster et al. 2022, \"Confident Adaptive Language Modeling\" (CALM)";
        // gate files read once per registry (a registry is built per process); only files that parsed are kept
        Map<String, LearnedGate> gates = new java.util.concurrent.ConcurrentHashMap<>();
        return List.of(
                PolicyFactory.withLayerKeys("confidence", new PolicyDoc("Exits once the top-1 softmax probability "
                                + "reaches the threshold.", calm, "confidence:threshold=0.9,min_layer=3",
                                List.of(PolicyDoc.Key.required("threshold", "the top-1 probability to reach, in "
                                        + "(0, 1]"))),
                        p -> ThresholdPolicy.confidence(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("margin", new PolicyDoc("Exits once the gap between the top-1 and top-2 "
                                + "softmax probabilities reaches the threshold (CALM's softmax response).", calm,
                                "margin:threshold=0.1,min_layer=3,every=3",
                                List.of(PolicyDoc.Key.required("threshold", "the top-1 minus top-2 gap to reach, in "
                                        + "[0, 1]"))),
                        p -> ThresholdPolicy.margin(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("entropy", new PolicyDoc("Exits once the entropy of the exit's softmax "
                                + "falls to the threshold.", "Xin et al. 2020, \"DeeBERT: Dynamic Early Exiting for "
                                + "Accelerating BERT Inference\"", "entropy:threshold=1.0,min_layer=3",
                                List.of(PolicyDoc.Key.required("threshold", "the entropy to fall to, in nats, >= 0"))),
                        p -> ThresholdPolicy.entropy(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("saturation", new PolicyDoc("Exits once consecutive layers' hidden states "
                                + "are nearly parallel; needs no LM head.", calm + "; Tang et al. 2023, \"You Need "
                                + "Multiple Exiting\" (MuE)", "saturation:threshold=0.95,min_layer=3",
                                List.of(PolicyDoc.Key.required("threshold", "the cosine of h_l and h_(l-1) to reach, "
                                        + "in [-1, 1]"))),
                        p -> ThresholdPolicy.saturation(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys(PatiencePolicy.NAME, new PolicyDoc("Exits once that many consecutive "
                                + "checked layers agree on the top token.", "Zhou et al. 2020, \"BERT Loses "
                                + "Patience: Fast and Robust Inference with Early Exit\" (PABEE)",
                                "patience:layers=2,min_layer=2",
                                List.of(PolicyDoc.Key.optional("layers", "2", "how many checked layers must agree, "
                                        + ">= 1"))),
                        p -> new PatiencePolicy(p.integer("layers", 2), p.layers())),
                PolicyFactory.withLayerKeys(ConsistencyPolicy.NAME, new PolicyDoc("Exits once enough of the last "
                                + "checked layers agree with the current top token.", "Xie et al. 2024, "
                                + "\"Calibrating Reasoning in Language Models with Internal Consistency\"",
                                "consistency:threshold=0.8,window=4",
                                List.of(PolicyDoc.Key.optional("threshold", "0.8", "the fraction of the window that "
                                                + "must agree, in (0, 1]"),
                                        PolicyDoc.Key.optional("window", "4", "how many of the last checked layers "
                                                + "are compared, >= 1"))),
                        p -> new ConsistencyPolicy(p.number("threshold", 0.8f), p.integer("window", 4), p.layers())),
                PolicyFactory.withLayerKeys(DecayingPolicy.NAME, new PolicyDoc("Exits once the top-1 probability "
                                + "reaches a threshold that decays along the sequence: clamp(0.9·threshold + "
                                + "0.1·exp(−tau·t/horizon)) at position t.", calm, "decaying:threshold=0.9",
                                List.of(PolicyDoc.Key.required("threshold", "the threshold λ the decay tends to, in "
                                                + "(0, 1]"),
                                        PolicyDoc.Key.optional("tau", "4", "the decay rate τ, >= 0"),
                                        PolicyDoc.Key.optional("horizon", "64", "the sequence length N the decay is "
                                                + "measured over, >= 1"))),
                        p -> new DecayingPolicy(p.number("threshold"), p.number("tau", 4), p.integer("horizon", 64),
                                p.layers())),
                new PolicyFactory(StaticPolicy.NAME, List.of("layer"), p -> new StaticPolicy(p.integer("layer")),
                        new PolicyDoc("Every token exits at that layer: the first layers as a sub-model.",
                                "Kavehzadeh et al. 2024, \"Sorted LLaMA\" (SoFT, sorted fine-tuning)",
                                "static:layer=3", List.of(PolicyDoc.Key.required("layer", "the exit layer, >= 1")))),
                PolicyFactory.withLayerKeys(LearnedPolicy.NAME, new PolicyDoc("A learned gate (per checked layer, a "
                        + "logistic regression over the signals there, trained by ./offramp train-gate) gives the "
                        + "probability that the layer's argmax already equals the last layer's; the token exits when it "
                        + "reaches the threshold.", calm + ", its learned early-exit classifier", null,
                        List.of(PolicyDoc.Key.required("gate", "the gate file ./offramp train-gate wrote"),
                                PolicyDoc.Key.optional("threshold", "0.5", "the gate's probability at which a token "
                                        + "exits"))), p -> {
                    String file = p.text("gate");
                    return new LearnedPolicy(file, gates.computeIfAbsent(file, f -> LearnedGate.read(Path.of(f))),
                            p.number("threshold", 0.5f), p.hasLayers() ? p.layers() : null);
                }));
    }

    /** The leaf policies' factories, in registration order (built-ins first): what {@code GET /v1/policies} lists. */
    public List<PolicyFactory> factories() {
        return names.stream().map(factories::get).toList();
    }

    /** The leaf policy names, in registration order. */
    public List<String> names() {
        return names;
    }

    /** Parses and builds {@code spec}; every problem is a {@link PolicySpecException}. */
    public ExitPolicy parse(String spec) {
        return build(PolicySpec.parse(spec));
    }

    public ExitPolicy build(PolicySpec spec) {
        if (spec instanceof PolicySpec.Composite c) {
            List<ExitPolicy> children = new ArrayList<>();
            for (PolicySpec child : c.children()) {
                children.add(build(child));
            }
            return switch (c.name()) {
                case "all" -> CompositePolicy.all(children);
                case "any" -> CompositePolicy.any(children);
                case "strict" -> new StrictPolicy(children.get(0));
                default -> CompositePolicy.quorum(c.required(), children);
            };
        }
        PolicySpec.Leaf leaf = (PolicySpec.Leaf) spec;
        PolicyFactory factory = factories.get(leaf.name());
        if (factory == null) {
            throw new PolicySpecException("unknown policy '" + leaf.name() + "', expected one of " + names
                    + " or a composite all(…), any(…), quorum(n, …), strict(…)");
        }
        for (String key : leaf.params().keySet()) {
            if (!factory.keys().contains(key)) {
                throw new PolicySpecException(leaf.name() + ": unknown key '" + key + "', expected one of "
                        + factory.keys());
            }
        }
        try {
            return factory.create().apply(new PolicyParams(leaf.name(), leaf.params()));
        } catch (IllegalArgumentException e) {
            throw e instanceof PolicySpecException known ? known : new PolicySpecException(e.getMessage(), e);
        }
    }
}
