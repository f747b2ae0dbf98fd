package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Finds the route for a request: 404 for an unknown path, 405 (with the allowed methods) for a wrong method. */
final class Router {
    private final List<Route> routes;

    Router(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    /** The path as a metrics label when some route serves it, else "unmatched" (labels stay low-cardinality). */
    String label(String path) {
        return routes.stream().anyMatch(r -> r.path().equals(path)) ? path : "unmatched";
    }

    Route find(HttpMethod method, String path) {
        List<Route> atPath = routes.stream().filter(r -> r.path().equals(path)).toList();
        if (atPath.isEmpty()) {
            throw ApiException.notFound(null, "not_found", "no route for " + path);
        }
        // HEAD is answered by the GET route (the exchange sends its headers only).
        HttpMethod asked = HttpMethod.HEAD.equals(method) ? HttpMethod.GET : method;
        return atPath.stream().filter(r -> r.method().equals(asked)).findFirst()
                .orElseThrow(() -> ApiException.methodNotAllowed(atPath.stream()
                                .flatMap(r -> r.method().equals(HttpMethod.GET) ? Stream.of("GET", "HEAD")
                                        : Stream.of(r.method().name()))
                                .collect(Collectors.joining(", ")),
                        method + " " + path + ": method not allowed"));
    }
}
