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
        // gate files read once per registry (a registry is built per process); only files that parsed are kept
        Map<String, LearnedGate> gates = new java.util.concurrent.ConcurrentHashMap<>();
        return List.of(
                PolicyFactory.withLayerKeys("confidence", List.of("threshold"),
                        p -> ThresholdPolicy.confidence(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("margin", List.of("threshold"),
                        p -> ThresholdPolicy.margin(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("entropy", List.of("threshold"),
                        p -> ThresholdPolicy.entropy(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys("saturation", List.of("threshold"),
                        p -> ThresholdPolicy.saturation(p.number("threshold"), p.layers())),
                PolicyFactory.withLayerKeys(PatiencePolicy.NAME, List.of("layers"),
                        p -> new PatiencePolicy(p.integer("layers", 2), p.layers())),
                PolicyFactory.withLayerKeys(ConsistencyPolicy.NAME, List.of("threshold", "window"),
                        p -> new ConsistencyPolicy(p.number("threshold", 0.8f), p.integer("window", 4), p.layers())),
                PolicyFactory.withLayerKeys(DecayingPolicy.NAME, List.of("threshold", "tau", "horizon"),
                        p -> new DecayingPolicy(p.number("threshold"), p.number("tau", 4), p.integer("horizon", 64),
                                p.layers())),
                new PolicyFactory(StaticPolicy.NAME, List.of("layer"), p -> new StaticPolicy(p.integer("layer"))),
                PolicyFactory.withLayerKeys(LearnedPolicy.NAME, List.of("gate", "threshold"), p -> {
                    String file = p.text("gate");
                    return new LearnedPolicy(file, gates.computeIfAbsent(file, f -> LearnedGate.read(Path.of(f))),
                            p.number("threshold", 0.5f), p.hasLayers() ? p.layers() : null);
                }));
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
