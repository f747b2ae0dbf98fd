package dev.offramp.server.cli;

import dev.offramp.policy.PolicyProvider;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds a plug-in policy jar as its author would: a provider class compiled against exit-policy, a service file. */
final class PolicyJar {
    /** README's example: a provider of "halfway", which leaves every token at the model's middle layer. */
    static final String HALFWAY = """
            package example;

            import dev.offramp.policy.ExitPolicy;
            import dev.offramp.policy.PolicyFactory;
            import dev.offramp.policy.PolicyProvider;
            import dev.offramp.policy.Schedule;
            import dev.offramp.policy.TokenState;
            import java.util.List;
            import java.util.Set;

            public final class HalfwayPolicies implements PolicyProvider {
                @Override
                public List<PolicyFactory> policies() {
                    return List.of(new PolicyFactory("%s", List.of(), params -> new ExitPolicy() {
                        private final Schedule schedule =
                                new Schedule(Set.of(), (layer, total) -> layer == (total + 1) / 2);

                        @Override
                        public Schedule schedule() {
                            return schedule;
                        }

                        @Override
                        public boolean shouldExit(TokenState token) {
                            return true;
                        }
                    }));
                }
            }
            """;

    private PolicyJar() {}

    /** {@code dir/name.jar} holding example.HalfwayPolicies, whose one policy is called {@code policyName}. */
    static Path write(Path dir, String name, String policyName) throws IOException, URISyntaxException {
        Path src = Files.createDirectories(dir.resolve(name + "-src/example"));
        Path classes = Files.createDirectories(dir.resolve(name + "-classes"));
        Files.writeString(src.resolve("HalfwayPolicies.java"), HALFWAY.formatted(policyName));
        Path exitPolicy = Path.of(PolicyProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "--release", "17", "-classpath", exitPolicy.toString(),
                "-d", classes.toString(), src.resolve("HalfwayPolicies.java").toString());
        if (status != 0) {
            throw new IllegalStateException("javac exited " + status + " on the example policy");
        }
        Path jar = Files.createDirectories(dir.resolve("plugins")).resolve(name + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                add(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
            add(out, "META-INF/services/" + PolicyProvider.class.getName(),
                    "example.HalfwayPolicies\n".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static void add(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }
}
