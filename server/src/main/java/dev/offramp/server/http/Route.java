package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpMethod;

/** One row of the routing table: method and exact path to a handler. */
record Route(HttpMethod method, String path, Handler handler) {
    /** Handles one request; runs on the event loop, so it must hand any slow work to another thread. */
    @FunctionalInterface
    interface Handler {
        void handle(Exchange exchange);
    }
}
