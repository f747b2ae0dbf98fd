package dev.offramp.server;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The programs outside the JVM that tests drive (promtool, yamllint, node, chromium, kubectl, docker): finding them,
 * the rule for a missing one (skip, or fail where {@code OFFRAMP_REQUIRE_CLIENTS=1}, as CI sets it), running them.
 */
public final class ExternalTools {
    /** The node scripts' folder, whose presence marks the checkout's root. */
    private static final String MARKER = "server/src/test/node/openai-client.mjs";

    private ExternalTools() {}

    /** Whether the real clients are required (CI), so that a missing one fails instead of skipping. */
    public static boolean clientsRequired() {
        return "1".equals(System.getProperty("OFFRAMP_REQUIRE_CLIENTS"))
                || "1".equals(System.getenv("OFFRAMP_REQUIRE_CLIENTS"));
    }

    /** The tool's path; when it is missing, skips the test, or fails it where the clients are required. */
    public static Path requireTool(Optional<Path> tool, String what, String install) {
        if (tool.isEmpty()) {
            String message = what + " is missing: install it with `" + install + "`";
            if (clientsRequired()) {
                fail(message + " (OFFRAMP_REQUIRE_CLIENTS=1 makes this a failure)");
            }
            Assumptions.abort(message + " (skipped; OFFRAMP_REQUIRE_CLIENTS=1 makes this a failure)");
        }
        return tool.orElseThrow();
    }

    public static Optional<Path> onPath(String executable) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.of(path.split(Pattern.quote(File.pathSeparator))).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, executable)).filter(Files::isExecutable).findFirst();
    }

    /** The checkout's root: the first directory at or above the working directory that holds the node script. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(MARKER))) {
                return dir;
            }
        }
        throw new IllegalStateException("expected " + MARKER + " at or above " + Path.of("").toAbsolutePath()
                + ", found none");
    }

    /** A finished child process: its exit status and its stdout and stderr together. */
    public record Run(int exit, String output) {
        public static Run of(List<String> command, Path dir, Path stdin, Path log, int timeoutSeconds)
                throws IOException, InterruptedException {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            if (stdin != null) {
                builder.redirectInput(stdin.toFile());
            }
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail("%s did not finish in %d s:%n%s", command, timeoutSeconds,
                        Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        }
    }
}
