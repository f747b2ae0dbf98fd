package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The boundary ARCHITECTURE.md draws ("The request path"), held by the packages: Netty is imported by the HTTP
 * transport ({@code server/http}) only, in every module; the serving side ({@code server/serve}: workers, scheduling,
 * cascades, metrics) knows no protocol, raises its own exceptions and imports nothing of the transport.
 */
class TransportBoundaryTest {
    static final Path ROOT = Path.of("..");

    @Test
    void onlyTheTransportImportsNettyAndTheServingSideKnowsNoHttp() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(ROOT)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .filter(p -> !p.toString().contains("/target/")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(100);
        List<Path> serving = sources.stream().filter(p -> p.toString().contains("/server/serve/")).toList();
        assertThat(serving).hasSizeGreaterThan(10);
        for (Path p : sources) {
            if (!p.toString().contains("/server/http/")) {
                assertThat(Files.readString(p)).as(p.toString()).doesNotContain("io.netty");
            }
        }
        for (Path p : serving) {
            assertThat(Files.readString(p)).as(p.toString()).doesNotContain("dev.offramp.server.http")
                    .doesNotContain("ApiException").doesNotContain("HttpResponseStatus").doesNotContain("Exchange");
        }
    }
}
