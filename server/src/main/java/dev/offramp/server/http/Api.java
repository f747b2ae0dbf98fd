package dev.offramp.server.http;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/** The routing table: every route the server answers, as data. */
final class Api {
    private Api() {}

    static List<Route> routes(Engine engine) {
        return List.of(
                new Route(GET, "/health", ex -> ex.respond(HttpResponseStatus.OK, new Wire.Status("ok"))),
                new Route(GET, "/ready", ex -> ex.respond(
                        engine.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        new Wire.Status(engine.ready() ? "ready" : "loading"))),
                new Route(GET, "/v1/models", ex -> ex.respond(HttpResponseStatus.OK,
                        Wire.ModelList.of(engine.modelId(), engine.created()))),
                new Route(GET, "/metrics", ex -> ex.respondText(HttpResponseStatus.OK, engine.metrics().scrape(),
                        "text/plain; version=0.0.4; charset=utf-8")),
                new Route(POST, "/v1/completions", new CompletionsHandler(engine)),
                new Route(POST, "/v1/chat/completions", new ChatHandler(engine)),
                new Route(POST, "/v1/generate", new GenerateHandler(engine)));
    }
}
