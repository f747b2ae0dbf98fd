package dev.offramp.server.cli;

import dev.offramp.model.cli.ModeFlags;
import dev.offramp.model.cli.PluginOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.server.http.ApiKeys;
import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ModelWorker;
import dev.offramp.server.http.Server;
import dev.offramp.server.http.ServerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code serve}: the HTTP server on one model until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"The HTTP server on one model: OpenAI's completions and chat, /v1/generate, /metrics.",
                       "It serves until SIGTERM or SIGINT, which drain the requests in flight."})
final class ServeCommand implements Callable<Integer> {
    private static final ServerConfig.Timeouts T = ServerConfig.Timeouts.DEFAULT;
    private static final ModelWorker.Limits D = ModelWorker.Limits.DEFAULT;

    @Option(names = "--host", paramLabel = "H", description = "The address to listen on. Default: ${DEFAULT-VALUE}.")
    private String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", description = "The port. Default: ${DEFAULT-VALUE}.")
    private int port = ServerConfig.DEFAULT_PORT;

    @Option(names = "--max-body-bytes", paramLabel = "N", description = "The largest request body. "
            + "Default: ${DEFAULT-VALUE}.")
    private int maxBodyBytes = ServerConfig.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--max-running", paramLabel = "N", description = "Requests decoded together. "
            + "Default: ${DEFAULT-VALUE}.")
    private int maxRunning = D.maxRunning();

    @Option(names = "--max-waiting", paramLabel = "N", description = "Requests queued beyond those; more get a 429. "
            + "Default: ${DEFAULT-VALUE}.")
    private int maxWaiting = D.maxWaiting();

    @Option(names = "--max-queue-wait-ms", paramLabel = "MS", description = "Refuse (503) a request still waiting "
            + "to join the batch this long after its arrival (0: no limit). Default: ${DEFAULT-VALUE}.")
    private long maxQueueWaitMs = D.maxQueueWait().toMillis();

    @Option(names = "--budget-min-layer", paramLabel = "K", description = "The shallowest depth a latency budget may "
            + "force (0: a quarter of the model's layers). Default: ${DEFAULT-VALUE}.")
    private int budgetMinLayer = 0;

    @Option(names = "--stall-timeout-s", paramLabel = "S", description = "A stream whose client stopped reading is "
            + "held this long, then cancelled. Default: ${DEFAULT-VALUE}.")
    private int stallTimeoutS = (int) D.stallTimeout().toSeconds();

    @Option(names = "--drain-timeout-s", paramLabel = "S", description = "On SIGTERM, how long the requests in flight "
            + "may take to finish. Default: ${DEFAULT-VALUE}.")
    private int drainTimeoutS = 30;

    @Option(names = "--header-timeout-s", paramLabel = "S", description = "A request's headers must be complete this "
            + "long after its first byte, else 408. Default: ${DEFAULT-VALUE}.")
    private long headerTimeoutS = T.header().toSeconds();

    @Option(names = "--body-timeout-s", paramLabel = "S", description = "Its body must be complete this long after "
            + "its headers, else 408. Default: ${DEFAULT-VALUE}.")
    private long bodyTimeoutS = T.body().toSeconds();

    @Option(names = "--idle-timeout-s", paramLabel = "S", description = "A kept-alive connection with no request begun "
            + "closes after this. Default: ${DEFAULT-VALUE}.")
    private long idleTimeoutS = T.idle().toSeconds();

    @Option(names = "--write-timeout-s", paramLabel = "S", description = "A write the client does not take within this "
            + "closes the connection. Default: ${DEFAULT-VALUE}.")
    private long writeTimeoutS = T.write().toSeconds();

    @Option(names = "--api-key", paramLabel = "KEY", description = "Ask for Authorization: Bearer KEY (visible in the "
            + "process list: prefer --api-key-file or $OFFRAMP_API_KEY).")
    private String apiKey;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "API keys, one a line (# comments).")
    private Path apiKeyFile;

    @Option(names = "--api-key-routes", paramLabel = "v1|all", description = "The routes a key guards: /v1/* only, "
            + "or also /health, /ready and /metrics. Default: v1.")
    private String apiKeyRoutes;

    @Mixin
    private ModeFlags modeFlags = new ModeFlags();

    @Mixin
    private PluginOptions plugins = new PluginOptions();

    @Mixin
    private CascadeArgs cascade = new CascadeArgs();

    @Mixin
    private ModelOptions modelOptions;

    private final PrintStream out;
    private final Progress progress;

    ServeCommand(Path defaultModel, PrintStream out, Progress progress) {
        this.modelOptions = new ModelOptions(defaultModel, "auto", servingThreads());
        this.out = out;
        this.progress = progress;
    }

    /**
     * What {@code serve} defaults {@code --threads} to: one core fewer than the machine has (at least one), left to
     * Netty's event loop and the request path. Measured with ./offramp load on 2 vCPUs: one intra-op thread gave
     * 149 / 229 / 509 tokens/s at 1 / 4 / 16 streams, two gave 117 / 227 / 391 (the planner, timing products
     * alone, prefers two).
     */
    static int servingThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    @Override
    public Integer call() throws Exception {
        ApiKeys keys = apiKeys(System.getenv("OFFRAMP_API_KEY"));
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, maxBodyBytes, new ServerConfig.Timeouts(
                    Duration.ofSeconds(headerTimeoutS), Duration.ofSeconds(bodyTimeoutS),
                    Duration.ofSeconds(idleTimeoutS), Duration.ofSeconds(writeTimeoutS)), keys);
        } catch (IllegalArgumentException e) {
            throw new UsageException("serve: " + e.getMessage());
        }
        ModelOptions model = modelOptions.validate();
        ModelWorker.Limits limits;
        try {
            limits = new ModelWorker.Limits(maxRunning, maxWaiting, budgetMinLayer, Duration.ofSeconds(stallTimeoutS),
                    Duration.ofMillis(maxQueueWaitMs));
        } catch (IllegalArgumentException e) {
            throw new UsageException("serve: " + e.getMessage());
        }
        int drainSeconds = drainTimeoutS;
        if (drainSeconds < 0) {
            throw new UsageException("serve: --drain-timeout-s: expected >= 0, found " + drainSeconds);
        }
        // Requests without an early_exit object run this: a calibration profile, the mode flags, or full depth.
        ModeOptions defaultMode = modeFlags.modeOptions("serve");
        PolicyRegistry policies = plugins.policies(System.getenv());
        ModelWorker engine = new ModelWorker(model.model().getFileName().toString(),
                () -> model.load(model.model(), progress), ChatTemplate.forModel(model.model()), limits, defaultMode,
                cascade.served("serve", model), policies);
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
        } catch (IllegalArgumentException e) {
            server.close();
            throw new UsageException("serve: default mode: " + e.getMessage());
        }
        try {
            engine.checkCascade();  // its members loaded, each K within its model
        } catch (IllegalArgumentException e) {
            server.close();
            throw new UsageException("serve: --cascade-members: " + e.getMessage());
        }
        out.println("offramp: ready, serving " + engine.modelId());
        server.awaitClose();  // a drain ends here: the command returns and the process exits 0
        out.println("offramp: stopped");
        return 0;
    }

    /**
     * The keys of {@code --api-key}, {@code --api-key-file} and {@code OFFRAMP_API_KEY}, together. The environment
     * or a file keeps a key out of the process list, where {@code --api-key} is visible to every user of the machine.
     */
    private ApiKeys apiKeys(String fromEnvironment) {
        List<String> keys = new ArrayList<>();
        if (apiKey != null) {
            keys.add(apiKey);
        }
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            keys.add(fromEnvironment);
        }
        if (apiKeyFile != null) {
            Path file = apiKeyFile;
            try {
                List<String> read = ApiKeys.readFile(file);
                if (read.isEmpty()) {
                    throw new UsageException("serve: --api-key-file " + file + ": expected at least one key, "
                            + "found none");
                }
                keys.addAll(read);
            } catch (java.io.IOException e) {
                throw new UsageException("serve: --api-key-file " + file + ": cannot be read");
            }
        }
        String routes = apiKeyRoutes == null ? "v1" : apiKeyRoutes;
        if (!routes.equals("v1") && !routes.equals("all")) {
            throw new UsageException("serve: --api-key-routes: expected v1 or all, found " + routes);
        }
        if (apiKeyRoutes != null && keys.isEmpty()) {
            throw new UsageException("serve: --api-key-routes: expected an API key, found none");
        }
        try {
            return ApiKeys.of(keys, routes.equals("all"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("serve: " + e.getMessage());
        }
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
