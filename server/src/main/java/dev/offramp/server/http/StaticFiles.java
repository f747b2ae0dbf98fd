package dev.offramp.server.http;

import static io.netty.handler.codec.http.HttpMethod.GET;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The playground's page and assets, from the jar's resources under {@code playground/}, read once at start-up. Each
 * asset is an exact route of its own: a path no route names (a typo, {@code ../}, an encoded traversal, a class file)
 * gets the router's 404 with an error body, and no request path ever reaches a resource lookup.
 */
final class StaticFiles {
    /** Request path → resource file: the page at {@code /}, its assets under {@code /playground/}. */
    static final Map<String, String> ASSETS = Map.of(
            "/", "index.html",
            "/playground/playground.js", "playground.js",
            "/playground/playground.css", "playground.css");
    /** The text types the assets have, by file extension. */
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");

    private StaticFiles() {}

    /** One GET route (HEAD too, by the router) per asset; a missing resource fails the start, not a request. */
    static List<Route> routes() {
        return ASSETS.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> {
            String text = read(e.getValue());
            String type = contentType(e.getValue());
            return new Route(GET, e.getKey(), ex -> ex.respondText(HttpResponseStatus.OK, text, type), false);
        }).toList();
    }

    static String contentType(String file) {
        String type = TYPES.get(file.substring(file.lastIndexOf('.') + 1));
        if (type == null) {
            throw new IllegalStateException("playground asset " + file + ": expected one of " + TYPES.keySet()
                    + " files");
        }
        return type;
    }

    /** The resource as UTF-8 text (the content types say so). */
    private static String read(String file) {
        String name = "playground/" + file;
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("expected resource " + name + " in the server's jar, found none");
            }
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(in.readAllBytes())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("resource " + name + ": expected UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }
}
