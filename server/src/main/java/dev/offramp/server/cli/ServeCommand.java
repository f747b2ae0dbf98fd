package dev.offramp.server.cli;

import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.server.http.ChatTemplate;
import dev.offramp.server.http.Engine;
import dev.offramp.server.http.Server;
import dev.offramp.server.http.ServerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/** {@code serve}: the HTTP server on one model until the process is stopped. */
final class ServeCommand {
    static final String USAGE = "serve [--model PATH] [--host H] [--port P] [--max-body-bytes N] "
            + "[--max-running N] [--max-waiting N] [--budget-min-layer K] [--stall-timeout-s S] "
            + "[--profile PROFILE.json | default mode flags as for generate] "
            + "[--cascade-small-layers K --cascade-rule chow-sum|chow-average|quantile-Q --cascade-threshold T] "
            + "[--device cpu|gpu|auto] [--threads N] [--kernels auto|f32|f16] [--tokenizer PATH] [--plugins DIR]";

    private ServeCommand() {}

    static void run(String[] argv, Path defaultModel, PrintStream out) throws Exception {
        Set<String> options = new HashSet<>(ModelOptions.NAMES);
        options.addAll(Set.of("host", "port", "max-body-bytes", "max-running", "max-waiting", "budget-min-layer",
                "stall-timeout-s"));
        options.addAll(CascadeArgs.NAMES);
        options.addAll(ModeArgs.NAMES);
        CliArgs args = new CliArgs("serve", argv, options, Set.of());
        ServerConfig config = new ServerConfig(args.string("host", "127.0.0.1"),
                args.integer("port", ServerConfig.DEFAULT_PORT),
                args.integer("max-body-bytes", ServerConfig.DEFAULT_MAX_BODY_BYTES));
        ModelOptions model = ModelOptions.from(args, defaultModel, "auto", ModelOptions.servingThreads());
        Engine.Limits d = Engine.Limits.DEFAULT;
        Engine.Limits limits;
        try {
            limits = new Engine.Limits(args.integer("max-running", d.maxRunning()),
                    args.integer("max-waiting", d.maxWaiting()), args.integer("budget-min-layer", 0),
                    Duration.ofSeconds(args.integer("stall-timeout-s", (int) d.stallTimeout().toSeconds())));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("serve: " + e.getMessage());
        }
        // Requests without an early_exit object run this: a calibration profile, the mode flags, or full depth.
        ModeOptions defaultMode = ModeArgs.from(args);
        PolicyRegistry policies = ModeArgs.policies(args, System.getenv());
        Engine engine = new Engine(model.model().getFileName().toString(), model::load,
                ChatTemplate.forModel(model.model()), limits, defaultMode, CascadeArgs.from(args), policies);
        Server server = new Server(config, engine).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "offramp-shutdown"));
        out.println("offramp: listening on http://" + config.host() + ":" + server.port() + " (loading "
                + engine.modelId() + ")");
        try {
            engine.awaitLoaded();
        } catch (java.util.concurrent.CompletionException e) {
            server.close();
            throw e.getCause() instanceof Exception c ? c : e;
        }
        try {
            defaultMode.toMode(engine.awaitLoaded().config(), policies);
            int layers = engine.awaitLoaded().config().layers();
            if (args.has("cascade-small-layers") && args.integer("cascade-small-layers", 0) >= layers) {
                throw new IllegalArgumentException("--cascade-small-layers: expected 1.." + (layers - 1)
                        + " for this " + layers + "-layer model, found " + args.integer("cascade-small-layers", 0));
            }
        } catch (IllegalArgumentException e) {
            server.close();
            throw new CliArgs.UsageException("serve: default mode: " + e.getMessage());
        }
        out.println("offramp: ready, serving " + engine.modelId());
        server.awaitClose();
    }
}
