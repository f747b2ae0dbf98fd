package dev.offramp.server.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The Prometheus metrics of ARCHITECTURE.md's contracts (names in base units; labels model, mode, route, status,
 * outcome, reason only) plus the JVM and process section. Micrometer adds {@code _total} to counters and {@code _seconds} to timers.
 */
public final class Metrics implements AutoCloseable {
    /**
     * The label values known from the start. Their counters are registered at 0, so that a fresh server's dashboard
     * panels and alert rules (rates, ratios) read 0 rather than "no data".
     */
    static final List<String> MODES = List.of("full", "static", "early-exit", "skip", "self-speculative", "cascade");
    static final List<String> OUTCOMES = List.of("met", "missed");
    static final List<String> CANCEL_REASONS = List.of("client_disconnected", "client_stalled");
    static final List<String> REJECT_REASONS = List.of("queue_full", "queue_timeout");
    /** A request that ended because its client left or stopped reading: nginx's "client closed request". */
    public static final int CANCELLED_STATUS = 499;
    private static final Duration[] LATENCY_BUCKETS = durations(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
            10, 30, 60);
    private static final Duration[] TOKEN_BUCKETS = durations(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1);
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;  // null for a member's metrics: the process is measured once
    private final String model;
    private volatile double kvUsage;
    private final boolean[] driftWindow = new boolean[DRIFT_WINDOW];  // the last checks: true where they disagreed
    private long driftChecks;
    private int driftDisagreeing;  // trues in the window
    private volatile double driftRatio = Double.NaN;
    private volatile double profileEpsilon = Double.NaN;
    // The per-token meters, by mode: looked up once, not rebuilt for every token.
    private final Map<String, DistributionSummary> exitLayers = new ConcurrentHashMap<>();
    private final Map<String, Timer> interToken = new ConcurrentHashMap<>();

    Metrics(String model) {
        this(model, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
    }

    /** Another model's metrics in this registry (a cascade member's engine): one scrape shows every model. */
    Metrics member(String model) {
        return new Metrics(model, registry, false);
    }

    private Metrics(String model, PrometheusMeterRegistry registry, boolean process) {
        this.model = model;
        this.registry = registry;
        this.gc = process ? new JvmGcMetrics() : null;
        if (process) {
            // promtool's lint refuses these two names (an abbreviated unit; a _count suffix on a gauge).
            registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                    || id.getName().equals("system.cpu.count")));
        }
        Gauge.builder("offramp.kv.cache.usage.ratio", this, m -> m.kvUsage).tag("model", model)
                .description("KV cache positions in use over the positions the running limit can hold")
                .register(registry);
        Gauge.builder("offramp.exit.disagreement.ratio", this, m -> m.driftRatio).tag("model", model)
                .description("Sampled early exits whose token full depth would not have chosen, over the last "
                        + DRIFT_WINDOW + " checked (NaN before the first)").register(registry);
        Gauge.builder("offramp.exit.profile.epsilon", this, m -> m.profileEpsilon).tag("model", model)
                .description("The epsilon the served calibration profile certified (NaN without one)")
                .register(registry);
        drift(0, 0);
        for (String mode : MODES) {
            tokens(mode, 0, 0);
            layers(mode, 0, 0);
            speculative(mode, 0, 0);
        }
        OUTCOMES.forEach(o -> budgetOutcome(o).increment(0));
        CANCEL_REASONS.forEach(r -> cancelledCounter(r).increment(0));
        REJECT_REASONS.forEach(r -> rejectedCounter(r).increment(0));
        if (!process) {
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /**
     * The running and waiting gauges, read from the engine's own ledgers (what admission counts and the queue), so
     * that no second count of the same requests can drift from them.
     */
    void occupancy(IntSupplier running, IntSupplier waiting) {
        // Strong references: Micrometer holds a gauge's object weakly, and these lambdas have no other holder.
        Gauge.builder("offramp.requests.running", running, IntSupplier::getAsInt).strongReference(true)
                .tag("model", model).description("Requests in the running batch").register(registry);
        Gauge.builder("offramp.requests.waiting", waiting, IntSupplier::getAsInt).strongReference(true)
                .tag("model", model).description("Requests accepted and waiting to join the batch").register(registry);
    }

    void kvUsage(double ratio) {
        kvUsage = ratio;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    public void request(String route, int status) {
        requestCounter(route, status).increment();
    }

    private Counter requestCounter(String route, int status) {
        return Counter.builder("offramp.requests").tags("model", model, "route", route, "status",
                Integer.toString(status)).description("HTTP requests answered, by route and status (499: the client "
                + "left or stopped reading)").register(registry);
    }

    void requestDuration(String mode, long nanos) {
        timer("offramp.request.duration", mode, LATENCY_BUCKETS, "Arrival to last byte of a generation")
                .record(Duration.ofNanos(nanos));
    }

    void timeToFirstToken(String mode, long nanos) {
        timer("offramp.time.to.first.token", mode, LATENCY_BUCKETS, "Arrival to the first generated token")
                .record(Duration.ofNanos(nanos));
    }

    void interTokenLatency(String mode, long nanos) {
        interToken.computeIfAbsent(mode, m -> timer("offramp.inter.token.latency", m, TOKEN_BUCKETS,
                "Time between two tokens of one request")).record(Duration.ofNanos(nanos));
    }

    void tokens(String mode, int prompt, int generated) {
        counter("offramp.prompt.tokens", mode, "Prompt tokens of finished requests").increment(prompt);
        counter("offramp.generation.tokens", mode, "Tokens generated").increment(generated);
    }

    /** Buckets at every layer of the model, for the exit-layer heatmap. */
    void exitLayer(String mode, int layer, int layers) {
        exitLayers.computeIfAbsent(mode, m -> {
            double[] buckets = new double[layers];
            for (int l = 1; l <= layers; l++) {
                buckets[l - 1] = l;
            }
            return DistributionSummary.builder("offramp.exit.layer").tags("model", model, "mode", m)
                    .description("The layer each generated token left the model after (1-based)")
                    .serviceLevelObjectives(buckets).register(registry);
        }).record(layer);
    }

    void layers(String mode, long computed, long skipped) {
        counter("offramp.layers.computed", mode, "Decoder-layer evaluations, drafts and recomputation included")
                .increment(computed);
        counter("offramp.layers.skipped", mode, "Layers generated tokens did not run (L minus exit layer)")
                .increment(skipped);
    }

    void speculative(String mode, long drafted, long accepted) {
        speculative(mode, drafted, accepted, 0, new long[0]);
    }

    /**
     * vLLM's speculative counters: drafted and accepted tokens, drafts (rounds verified in one pass), and accepted
     * tokens per draft position (0 the first draft of a round), whose ratios to the drafts are the acceptance by
     * position. The first {@link #POSITIONS} positions of the self-speculative mode exist at 0 from the start.
     */
    void speculative(String mode, long drafted, long accepted, long drafts, long[] acceptedByPosition) {
        counter("offramp.speculative.drafted.tokens", mode, "Tokens drafted by the shallow exit").increment(drafted);
        counter("offramp.speculative.accepted.tokens", mode, "Drafted tokens the full model kept").increment(accepted);
        counter("offramp.speculative.drafts", mode, "Draft rounds verified in one pass").increment(drafts);
        int positions = "self-speculative".equals(mode) ? Math.max(POSITIONS, acceptedByPosition.length)
                : acceptedByPosition.length;  // only that mode drafts
        for (int p = 0; p < positions; p++) {
            Counter.builder("offramp.speculative.accepted.tokens.per.position")
                    .tags("model", model, "mode", mode, "position", Integer.toString(p))
                    .description("Drafted tokens the full model kept, by position in their round").register(registry)
                    .increment(p < acceptedByPosition.length ? acceptedByPosition[p] : 0);
        }
    }

    /** Checks the disagreement ratio is read over: recent enough to follow drift, enough to be more than noise. */
    static final int DRIFT_WINDOW = 256;

    /**
     * A request's drift checks: early exits compared with full depth's greedy choice, and those that differed. The
     * counters keep every check; the ratio gauge reads the last {@link #DRIFT_WINDOW}. Engine thread only.
     */
    void drift(long checked, long disagreed) {
        Counter.builder("offramp.exit.drift.checks").tag("model", model)
                .description("Early exits checked against full depth's choice").register(registry).increment(checked);
        Counter.builder("offramp.exit.drift.disagreements").tag("model", model)
                .description("Checked early exits where full depth chose another token").register(registry)
                .increment(disagreed);
        for (long i = 0; i < checked; i++) {
            int slot = (int) (driftChecks++ % DRIFT_WINDOW);
            boolean disagrees = i < disagreed;  // a request reports counts: their order within it is immaterial
            driftDisagreeing += (disagrees ? 1 : 0) - (driftChecks > DRIFT_WINDOW && driftWindow[slot] ? 1 : 0);
            driftWindow[slot] = disagrees;
        }
        if (driftChecks > 0) {
            driftRatio = (double) driftDisagreeing / Math.min(driftChecks, DRIFT_WINDOW);
        }
    }

    /** The served profile's certified epsilon, for the drift alert to compare with. */
    void profileEpsilon(double epsilon) {
        profileEpsilon = epsilon;
    }

    /** Draft positions whose acceptance counters exist from the start (the adaptive draft length's cap). */
    static final int POSITIONS = 12;

    void budget(long budgetNanos, boolean met) {
        Timer.builder("offramp.latency.budget").tag("model", model).serviceLevelObjectives(LATENCY_BUCKETS)
                .description("Latency budgets requests arrived with").register(registry)
                .record(Duration.ofNanos(budgetNanos));
        budgetOutcome(met ? "met" : "missed").increment();
    }

    private Counter budgetOutcome(String outcome) {
        return Counter.builder("offramp.budget.outcome").tags("model", model, "outcome", outcome)
                .description("Requests with a latency budget, by outcome").register(registry);
    }

    /** The served routes' successes at 0 (their other statuses appear as they happen). */
    public void routes(List<String> paths) {
        paths.forEach(p -> requestCounter(p, 200));
    }

    /** The served cascade's counters at 0: a deferral from each member to the next, an answer by each. */
    void cascadeMembers(List<String> members) {
        for (int i = 0; i < members.size(); i++) {
            answered(members.get(i));
            if (i + 1 < members.size()) {
                deferrals(members.get(i), members.get(i + 1));
            }
        }
    }

    void cascadeDeferral(String from, String to) {
        deferrals(from, to).increment();
    }

    void cascadeAnswered(String member) {
        answered(member).increment();
    }

    private Counter deferrals(String from, String to) {
        return Counter.builder("offramp.cascade.deferrals").tags("model", model, "from", from, "to", to)
                .description("Cascade requests handed from one member to the next").register(registry);
    }

    private Counter answered(String member) {
        return Counter.builder("offramp.cascade.answered").tags("model", model, "member", member)
                .description("Cascade requests answered, by the member whose answer was kept").register(registry);
    }

    void cancelled(String reason) {
        cancelledCounter(reason).increment();
    }

    private Counter cancelledCounter(String reason) {
        return Counter.builder("offramp.requests.cancelled").tags("model", model, "reason", reason)
                .description("Generations stopped before the end").register(registry);
    }

    void rejected(String reason) {
        rejectedCounter(reason).increment();
    }

    private Counter rejectedCounter(String reason) {
        return Counter.builder("offramp.requests.rejected").tags("model", model, "reason", reason)
                .description("Requests refused by admission control").register(registry);
    }

    void batchSize(int rows) {
        DistributionSummary.builder("offramp.batch.size").tag("model", model)
                .description("Requests in each engine iteration")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry).record(rows);
    }

    private Counter counter(String name, String mode, String help) {
        return Counter.builder(name).tags("model", model, "mode", mode).description(help).register(registry);
    }

    private Timer timer(String name, String mode, Duration[] buckets, String help) {
        return Timer.builder(name).tags("model", model, "mode", mode).serviceLevelObjectives(buckets)
                .description(help).register(registry);
    }

    private static Duration[] durations(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            d[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
        }
        return d;
    }

    @Override
    public void close() {
        if (gc != null) {  // the registry's owner
            gc.close();
            registry.close();
        }
    }
}
