package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The playground's page and assets on a real socket: each with its content type and exact bytes, HEAD with the GET's
 * headers and no body, and every other path (a typo, a directory, traversal in any spelling, a class file) a 404
 * with the error body, never a file.
 */
class StaticFilesTest {
    @RegisterExtension
    static final StoriesServer server = new StoriesServer();

    @Test
    void everyAssetIsServedWithItsContentTypeAndBytes() throws Exception {
        Map<String, String> types = Map.of("/", "text/html; charset=utf-8",
                "/playground/playground.js", "text/javascript; charset=utf-8",
                "/playground/playground.css", "text/css; charset=utf-8");
        assertThat(StaticFiles.ASSETS.keySet()).containsExactlyInAnyOrderElementsOf(types.keySet());
        for (var asset : StaticFiles.ASSETS.entrySet()) {
            byte[] expected = resource(asset.getValue());
            Response r = Response.of(server.roundTrip("GET " + asset.getKey() + " HTTP/1.1\r\nHost: x\r\nConnection: close"
                    + "\r\n\r\n"));
            assertThat(r.status()).as(asset.getKey()).isEqualTo(200);
            assertThat(r.header("content-type")).as(asset.getKey()).isEqualTo(types.get(asset.getKey()));
            assertThat(r.header("content-length")).isEqualTo(String.valueOf(expected.length));
            assertThat(r.body()).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
        // The page names its assets by the routes that serve them, and nothing from another host.
        String page = new String(resource("index.html"), StandardCharsets.UTF_8);
        assertThat(page).contains("href=\"/playground/playground.css\"", "src=\"/playground/playground.js\"")
                .doesNotContain("http://", "https://");
        assertThat(Response.of(server.roundTrip("GET /playground/playground.js?v=2 HTTP/1.1\r\nHost: x\r\nConnection: "
                + "close\r\n\r\n")).status()).as("a query string names the same asset").isEqualTo(200);
    }

    @Test
    void headHasTheGetsHeadersAndNoBody() throws Exception {
        // HEAD then GET on one connection: the GET's answer must start right after the HEAD's headers.
        String raw = server.roundTrip("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: "
                + "close\r\n\r\n");
        int split = raw.indexOf("\r\n\r\n") + 4;
        Response head = Response.of(raw.substring(0, split));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("content-type")).isEqualTo("text/html; charset=utf-8");
        assertThat(head.header("content-length")).isEqualTo(String.valueOf(resource("index.html").length));
        assertThat(raw.substring(split)).startsWith("HTTP/1.1 200 OK").contains("{\"status\":\"ok\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/playground/nope.js", "/playground/", "/playground", "/index.html", "/playground.js",
            "/playground/../pom.xml", "/playground/%2e%2e/%2e%2e/pom.xml", "/..%2f..%2fpom.xml",
            "/playground/..%5c..%5cpom.xml", "/playground/playground.js/../../../../etc/passwd", "//etc/passwd",
            "/playground//playground.js", "/playground/%70layground.js%00", "/playground/index.html",
            "/dev/offramp/server/http/Api.class", "/simplelogger.properties", "/playground/PLAYGROUND.JS",
            "http://x/../../pom.xml"})
    void anyOtherPathIsA404WithTheErrorBody(String path) throws Exception {
        Response r = Response.of(server.roundTrip("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        assertThat(r.status()).as(path).isEqualTo(404);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        JsonNode error = ServerTest.JSON.readTree(r.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("not_found");
        assertThat(error.get("message").asText()).startsWith("no route for ");
        assertThat(r.body()).doesNotContain("<project", "root:", "log4j", "org.slf4j");
    }

    @Test
    void otherMethodsAre405NamingGetAndHead() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE")) {
            Response r = Response.of(server.roundTrip(method + " / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n"));
            assertThat(r.status()).as(method).isEqualTo(405);
            assertThat(r.header("allow")).isEqualTo("GET, HEAD");
            assertThat(ServerTest.JSON.readTree(r.body()).get("error").get("code").asText())
                    .isEqualTo("method_not_allowed");
        }
    }

    @Test
    void anAssetOfAnUnknownTypeIsRefusedAtStartUp() {
        assertThat(StaticFiles.contentType("app.js")).isEqualTo("text/javascript; charset=utf-8");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StaticFiles.contentType("logo.exe"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("logo.exe");
    }

    static byte[] resource(String file) throws IOException {
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream("playground/" + file)) {
            assertThat(in).as("resource playground/" + file).isNotNull();
            return in.readAllBytes();
        }
    }

    /** One HTTP/1.1 response as read off the socket: status, headers (lower-cased names), body. */
    record Response(int status, Map<String, String> headers, String body) {
        static Response of(String raw) {
            int end = raw.indexOf("\r\n\r\n");
            String[] lines = raw.substring(0, end).split("\r\n");
            Map<String, String> headers = new java.util.HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(), lines[i].substring(colon + 1).strip());
            }
            return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, raw.substring(end + 4));
        }

        String header(String name) {
            return headers.get(name);
        }
    }
}
