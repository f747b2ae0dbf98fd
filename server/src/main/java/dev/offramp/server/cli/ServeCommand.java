package dev.offramp.server.cli;

import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.server.http.ApiKeys;
import dev.offramp.server.http.ChatTemplate;
import dev.offramp.server.http.Engine;
import dev.offramp.server.http.Server;
import dev.offramp.server.http.ServerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code serve}: the HTTP server on one model until the process is stopped. */
final class ServeCommand {
    static final String USAGE = "serve [--model PATH] [--host H] [--port P] [--max-body-bytes N] "
            + "[--max-running N] [--max-waiting N] [--max-queue-wait-ms MS] [--budget-min-layer K] "
            + "[--stall-timeout-s S] "
            + "[--drain-timeout-s S] [--header-timeout-s S] [--body-timeout-s S] [--idle-timeout-s S] "
            + "[--write-timeout-s S] [--api-key KEY] [--api-key-file FILE] [--api-key-routes v1|all] "
            + "[--profile PROFILE.json | default mode flags as for generate] "
            + "[--cascade-small-layers K --cascade-rule chow-sum|chow-average|quantile-Q --cascade-threshold T] "
            + "[--device cpu|gpu|auto] [--threads N] [--kernels auto|f32|f16] [--tokenizer PATH] [--plugins DIR]";

    private ServeCommand() {}

    static void run(String[] argv, Path defaultModel, PrintStream out) throws Exception {
        Set<String> options = new HashSet<>(ModelOptions.NAMES);
        options.addAll(Set.of("host", "port", "max-body-bytes", "max-running", "max-waiting", "budget-min-layer",
                "stall-timeout-s", "drain-timeout-s", "max-queue-wait-ms", "header-timeout-s", "body-timeout-s",
                "idle-timeout-s", "write-timeout-s", "api-key", "api-key-file", "api-key-routes"));
        options.addAll(CascadeArgs.NAMES);
        options.addAll(ModeArgs.NAMES);
        CliArgs args = new CliArgs("serve", argv, options, Set.of());
        ApiKeys keys = apiKeys(args, System.getenv("OFFRAMP_API_KEY"));
        ServerConfig.Timeouts t = ServerConfig.Timeouts.DEFAULT;
        ServerConfig config;
        try {
            config = new ServerConfig(args.string("host", "127.0.0.1"), args.integer("port", ServerConfig.DEFAULT_PORT),
                    args.integer("max-body-bytes", ServerConfig.DEFAULT_MAX_BODY_BYTES), new ServerConfig.Timeouts(
                            seconds(args, "header-timeout-s", t.header()), seconds(args, "body-timeout-s", t.body()),
                            seconds(args, "idle-timeout-s", t.idle()), seconds(args, "write-timeout-s", t.write())),
                    keys);
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("serve: " + e.getMessage());
        }
        ModelOptions model = ModelOptions.from(args, defaultModel, "auto", ModelOptions.servingThreads());
        Engine.Limits d = Engine.Limits.DEFAULT;
        Engine.Limits limits;
        try {
            limits = new Engine.Limits(args.integer("max-running", d.maxRunning()),
                    args.integer("max-waiting", d.maxWaiting()), args.integer("budget-min-layer", 0),
                    Duration.ofSeconds(args.integer("stall-timeout-s", (int) d.stallTimeout().toSeconds())),
                    Duration.ofMillis(args.longValue("max-queue-wait-ms", d.maxQueueWait().toMillis())));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("serve: " + e.getMessage());
        }
        int drainSeconds = args.integer("drain-timeout-s", 30);
        if (drainSeconds < 0) {
            throw new CliArgs.UsageException("serve: --drain-timeout-s: expected >= 0, found " + drainSeconds);
        }
        // Requests without an early_exit object run this: a calibration profile, the mode flags, or full depth.
        ModeOptions defaultMode = ModeArgs.from(args);
        PolicyRegistry policies = ModeArgs.policies(args, System.getenv());
        Engine engine = new Engine(model.model().getFileName().toString(), model::load,
                ChatTemplate.forModel(model.model()), limits, defaultMode, CascadeArgs.from(args), policies);
        Server server = new Server(config, engine).start();
        onStopSignal(() -> {
            out.println("offramp: draining (up to " + drainSeconds + " s for the requests in flight)");
            try {
                server.drain(Duration.ofSeconds(drainSeconds));
            } catch (InterruptedException e) {
                server.close();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "offramp-shutdown"));
        out.println("offramp: listening on http://" + config.host() + ":" + server.port() + " (loading "
                + engine.modelId() + ")" + (keys.size() == 0 ? "" : "; " + keys + " asked as Authorization: Bearer"));
        try {
            engine.awaitLoaded();
        } catch (java.util.concurrent.CompletionException e) {
            server.close();
            throw e.getCause() instanceof Exception c ? c : e;
        }
        try {
            ModeOptions resolved = defaultMode.withDefaults(engine.awaitLoaded().profile());
            String note = ModeOptions.defaultsNote(defaultMode, resolved);
            if (note != null) {
                out.println("offramp: default mode " + note);
            }
            resolved.toMode(engine.awaitLoaded().config(), policies);
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
        server.awaitClose();  // a drain ends here: the command returns and the process exits 0
        out.println("offramp: stopped");
    }

    /**
     * The keys of {@code --api-key}, {@code --api-key-file} and {@code OFFRAMP_API_KEY}, together. The environment
     * or a file keeps a key out of the process list, where {@code --api-key} is visible to every user of the machine.
     */
    private static ApiKeys apiKeys(CliArgs args, String fromEnvironment) {
        List<String> keys = new ArrayList<>();
        if (args.has("api-key")) {
            keys.add(args.string("api-key", null));
        }
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            keys.add(fromEnvironment);
        }
        if (args.has("api-key-file")) {
            Path file = args.path("api-key-file", null);
            try {
                List<String> read = ApiKeys.readFile(file);
                if (read.isEmpty()) {
                    throw new CliArgs.UsageException("serve: --api-key-file " + file + ": expected at least one key, "
                            + "found none");
                }
                keys.addAll(read);
            } catch (java.io.IOException e) {
                throw new CliArgs.UsageException("serve: --api-key-file " + file + ": cannot be read");
            }
        }
        String routes = args.string("api-key-routes", "v1");
        if (!routes.equals("v1") && !routes.equals("all")) {
            throw new CliArgs.UsageException("serve: --api-key-routes: expected v1 or all, found " + routes);
        }
        if (args.has("api-key-routes") && keys.isEmpty()) {
            throw new CliArgs.UsageException("serve: --api-key-routes: expected an API key, found none");
        }
        try {
            return ApiKeys.of(keys, routes.equals("all"));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException("serve: " + e.getMessage());
        }
    }

    private static Duration seconds(CliArgs args, String name, Duration fallback) {
        return Duration.ofSeconds(args.longValue(name, fallback.toSeconds()));
    }

    /**
     * SIGTERM and SIGINT start a graceful drain (once) instead of the JVM's immediate shutdown, whose hooks would run
     * while the event loops close and whose exit status would be 143 rather than 0. {@code sun.misc.Signal}
     * (jdk.unsupported) is the JDK's only way to do that; javac warns of it, a warning no annotation suppresses.
     */
    private static void onStopSignal(Runnable drain) {
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                if (started.compareAndSet(false, true)) {
                    new Thread(drain, "offramp-drain").start();
                }
            });
        }
    }
}
