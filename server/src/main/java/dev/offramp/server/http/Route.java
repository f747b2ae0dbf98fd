package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * One row of the routing table: method and exact path to a handler.
 *
 * @param offLoop the handler parses, validates and tokenizes: it runs on the engine's validation pool, neither on the
 *                event loop (which would stall every connection) nor on the engine thread (which would stall every
 *                running generation)
 */
record Route(HttpMethod method, String path, Handler handler, boolean offLoop) {
    /** Handles one request, on the event loop unless the route is {@code offLoop}; must not block the event loop. */
    @FunctionalInterface
    interface Handler {
        void handle(Exchange exchange);
    }
}
