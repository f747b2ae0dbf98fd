package dev.offramp.server.http;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import dev.offramp.server.serve.Wire;
import dev.offramp.server.serve.ModelWorker;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.stream.Stream;

/** The routing table: every route the server answers, as data. */
final class Api {
    private Api() {}

    static List<Route> routes(ModelWorker engine) {
        return Stream.concat(Stream.of(
                // Liveness: 503 once the engine thread has ended, so that a supervisor restarts the process.
                new Route(GET, "/health", ex -> ex.respond(engine.alive() ? HttpResponseStatus.OK
                        : HttpResponseStatus.SERVICE_UNAVAILABLE, new Wire.Status(engine.alive() ? "ok"
                        : "engine_stopped")), false),
                new Route(GET, "/ready", ex -> ex.respond(
                        engine.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        new Wire.Status(engine.ready() ? "ready" : engine.draining() ? "draining" : "loading")),
                        false),
                new Route(GET, "/v1/models", ex -> ex.respond(HttpResponseStatus.OK,
                        Wire.ModelList.of(engine.modelId(), engine.created(),
                                engine.exitAdapterLayers())), false),
                new Route(GET, "/metrics", ex -> ex.respondText(HttpResponseStatus.OK, engine.metrics().scrape(),
                        "text/plain; version=0.0.4; charset=utf-8"), false),
                new Route(POST, "/v1/completions", new CompletionsHandler(engine), true),
                new Route(POST, "/v1/chat/completions", new ChatHandler(engine), true),
                new Route(POST, "/v1/generate", new GenerateHandler(engine), true),
                new Route(GET, "/v1/policies", new PoliciesHandler(engine, engine.policies()), false)),
                StaticFiles.routes().stream()).toList();  // the playground: GET / and its assets
    }
}
