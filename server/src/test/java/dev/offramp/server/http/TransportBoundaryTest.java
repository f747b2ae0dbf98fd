package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The boundary ARCHITECTURE.md draws ("The request path"): Netty is imported by the HTTP transport's classes only, in
 * every module; the serving side (workers, scheduling, cascades, metrics) knows no protocol and raises its own
 * exceptions.
 */
class TransportBoundaryTest {
    static final Path ROOT = Path.of("..");
    static final Set<String> TRANSPORT = Set.of("HttpHandler", "Initializer", "BodyLimit", "Deadlines", "Exchange",
            "Router", "Route", "Api", "Replies", "Server", "Errors", "ApiException", "StaticFiles", "PoliciesHandler");
    static final List<String> SERVING = List.of("ModelWorker", "Scheduler", "Job", "RequestPlan", "ServedCascade",
            "RemoteModel", "BudgetController", "Metrics", "TextStream", "ServingException");

    @Test
    void onlyTheTransportImportsNettyAndTheServingSideKnowsNoHttpStatus() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(ROOT)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .filter(p -> !p.toString().contains("/target/")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(100);
        for (Path p : sources) {
            String name = p.getFileName().toString().replace(".java", "");
            boolean transport = p.toString().contains("/server/http/") && TRANSPORT.contains(name);
            if (!transport) {
                assertThat(Files.readString(p)).as(p.toString()).doesNotContain("io.netty");
            }
        }
        Path http = ROOT.resolve("server/src/main/java/dev/offramp/server/http");
        for (String name : SERVING) {
            String source = Files.readString(http.resolve(name + ".java"));
            assertThat(source).as(name).doesNotContain("ApiException").doesNotContain("HttpResponseStatus")
                    .doesNotContain("Exchange");
        }
    }
}
