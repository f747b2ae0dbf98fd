package dev.offramp.server.serve;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.CascadeRunner;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.calibrate.DeferralRule;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * {@code serve}'s cascade (Gupta et al. 2024): members in order — a model of this process (its own engine thread and
 * batch) or its first K layers, or, last, a remote OpenAI-compatible endpoint — run by the one {@link CascadeRunner}.
 * A request that chose it ({@code early_exit.mode = cascade}) is answered by the first member whose answer the rule
 * keeps. Earlier members answer in silence (their tokens go out only if kept); the last local member streams live.
 * Members with another tokenizer get the prompt as text. A remote member that fails is answered for by the last local
 * answer, and the response says so.
 */
public final class ServedCascade {
    /** A member of the cascade; its name is what metrics and responses call it. */
    public sealed interface Member permits Local, Remote {
        String name();
    }

    /**
     * A model of this process, or its first {@code layers} layers (null: all of them).
     *
     * @param engine its engine; null for the engine that serves the requests
     */
    public record Local(ModelWorker engine, Integer layers, String name) implements Member {}

    /** An OpenAI-compatible server; only the last member may be one (its answer is never scored). */
    public record Remote(RemoteModel model) implements Member {
        public String name() {
            return model.name();
        }
    }

    /** What {@code serve} asks for: members by model (loaded by the engine that serves them), rule, threshold. */
    public record Spec(List<MemberSpec> members, DeferralRule rule, double threshold) {
        public Spec {
            members = List.copyOf(members);
        }
    }

    /** A member as configured: a model of this process (or its first K layers), or a remote endpoint. */
    public sealed interface MemberSpec permits LocalSpec, RemoteSpec {}

    /**
     * @param modelId what clients and metrics call the model (its folder or file name)
     * @param loader  loads it on its own engine thread; null: the model the server serves
     * @param layers  its first K layers; null: all of them
     */
    public record LocalSpec(String modelId, Supplier<LoadedModel> loader, Integer layers) implements MemberSpec {
        String name() {
            return modelId + (layers == null ? "" : ":" + layers);
        }
    }

    public record RemoteSpec(RemoteModel model) implements MemberSpec {}

    /** A member not asked because the request's deadline, which cuts, had passed: the last answer is kept. */
    private static final class Deadline extends RuntimeException {
        Deadline(String member) {
            super("the request's deadline (X-Latency-Budget-Policy: cut) had passed before " + member + " was asked");
        }
    }

    /** One member's answer, and the engine that gave it (null: remote); {@code live}: it streamed as it went. */
    private record Answer(Job.Outcome outcome, ModelWorker engine, boolean live) {}

    private final List<Member> members;
    private final CascadeRunner<Answer> runner;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong deferred = new AtomicLong();

    /**
     * The cascade of {@code spec}, its members' engines made by {@code engines} (one per model, shared by members of
     * that model).
     */
    static ServedCascade of(Spec spec, BiFunction<String, Supplier<LoadedModel>, ModelWorker> engines) {
        java.util.Map<String, ModelWorker> byModel = new java.util.HashMap<>();
        List<Member> members = new ArrayList<>();
        for (MemberSpec m : spec.members()) {
            if (m instanceof RemoteSpec r) {
                members.add(new Remote(r.model()));
            } else {
                LocalSpec l = (LocalSpec) m;
                ModelWorker e = l.loader() == null ? null
                        : byModel.computeIfAbsent(l.modelId(), id -> engines.apply(id, l.loader()));
                members.add(new Local(e, l.layers(), l.name()));
            }
        }
        return new ServedCascade(members, spec.rule(), spec.threshold());
    }

    ServedCascade(List<Member> members, DeferralRule rule, double threshold) {
        if (members.size() < 2) {
            throw new IllegalArgumentException("cascade members: expected at least 2, found " + members.size());
        }
        for (int i = 0; i < members.size() - 1; i++) {
            if (members.get(i) instanceof Remote r) {
                throw new IllegalArgumentException("cascade members: a remote member (" + r.name() + ") must be the "
                        + "last: its answer cannot be scored");
            }
        }
        this.members = List.copyOf(members);
        this.runner = new CascadeRunner<>(rule, threshold, a -> a.outcome().result().uncertainty(),
                failure -> failure instanceof RemoteModel.Failure || failure instanceof Deadline);
    }

    public List<String> names() {
        return members.stream().map(Member::name).toList();
    }

    /** The engines of this process that are members, besides the serving one. */
    List<ModelWorker> engines() {
        return members.stream().filter(m -> m instanceof Local l && l.engine() != null)
                .map(m -> ((Local) m).engine()).distinct().toList();
    }

    /** Waits for every local member's model; refuses a member whose K is not within its model's layers. */
    void check(ModelWorker self) {
        for (Member m : members) {
            if (m instanceof Local l && l.layers() != null) {
                int layers = (l.engine() == null ? self : l.engine()).awaitLoaded().config().layers();
                if (l.layers() < 1 || l.layers() > layers) {
                    throw new IllegalArgumentException(l.name() + ": expected 1.." + layers + " layers for this "
                            + layers + "-layer model, found " + l.layers());
                }
            }
        }
    }

    /** No cascade request is being answered. */
    boolean idle() {
        return inFlight.get() == 0;
    }

    /** Every member engine has loaded its model. */
    boolean ready() {
        return engines().stream().allMatch(ModelWorker::ready);
    }

    /** Answers {@code job} (checked against the serving model) through the members; completes its {@code done}. */
    void submit(ModelWorker self, Job job) {
        List<CascadeRunner.Member<Answer>> run = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            run.add(member(members.get(i), self, job, i == 0, i == members.size() - 1));
        }
        inFlight.incrementAndGet();
        runner.run(run).whenComplete((out, failure) -> {
            try {
                if (failure != null) {
                    job.done.completeExceptionally(failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure);
                } else {
                    job.done.complete(kept(self, job, out));
                }
            } catch (RuntimeException | Error e) {
                job.done.completeExceptionally(e);
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    private CascadeRunner.Member<Answer> member(Member m, ModelWorker self, Job job, boolean first, boolean last) {
        return new CascadeRunner.Member<>() {
            @Override
            public String name() {
                return m.name();
            }

            @Override
            public CompletableFuture<Answer> answer(boolean scored) {
                if (!first && job.hasBudget() && job.cutAtDeadline && System.nanoTime() - job.deadline() >= 0) {
                    // Deferred past a deadline that cuts: the answer in hand is the one the client can still get.
                    return CompletableFuture.failedFuture(new Deadline(m.name()));
                }
                if (m instanceof Remote r) {
                    return r.model().complete(job).thenApply(o -> new Answer(o, null, false));
                }
                Local l = (Local) m;
                ModelWorker e = l.engine() == null ? self : l.engine();
                // Earlier members answer in silence; the last streams to the client as it goes.
                Job mine = new Job(job.request, last ? job.sink : Job.NO_SINK, job.client, job.arrival);
                // On the member's validation pool: its tokenizer and admission, never an engine thread.
                return CompletableFuture.supplyAsync(() -> {
                    int layers = e.awaitLoaded().config().layers();
                    Mode mode = l.layers() == null || l.layers() == layers ? new Mode.Full()
                            : new Mode.Static(l.layers());
                    e.submitMember(mine, mode, scored, e == self ? job.prepared.promptIds() : null);
                    return mine.done;
                }, e.validation()).thenCompose(f -> f).thenApply(o -> new Answer(o, e, last));
            }
        };
    }

    /** The kept answer as the request's outcome: its tokens sent if they were held back, every member's cost. */
    private Job.Outcome kept(ModelWorker self, Job job, CascadeRunner.Outcome<Answer> out) {
        Answer a = out.answer();
        Job.Outcome o = a.outcome();
        String text = o.text();
        String tail = o.tail();
        if (!a.live()) {
            job.sink.start();
            if (a.engine() != null) {
                // Kept after it was decided: its tokens go out now, as if just generated.
                var tokenizer = a.engine().awaitLoaded().tokenizer();
                TextStream ts = new TextStream(tokenizer, job.request.stop());
                int[] ids = o.result().ids();
                for (int i = 0; i < ids.length; i++) {
                    job.sink.token(ids[i], o.result().exitLayers()[i], null, tokenizer, ts.push(ids[i]));
                }
                text = ts.text();
                tail = ts.finish();
            }
        }
        GenerationResult r = o.result().withCostOf(out.answers().stream().map(each -> each.outcome().result())
                .toList());
        List<Job.Tried> tried = new ArrayList<>();
        for (int i = 0; i < out.tried().size(); i++) {
            CascadeRunner.Tried t = out.tried().get(i);
            tried.add(new Job.Tried(t.member(), Double.isNaN(t.score()) ? null : t.score(), t.deferred(),
                    t.failure()));
            if (t.deferred()) {
                self.metrics().cascadeDeferral(t.member(), out.tried().get(i + 1).member());
            }
        }
        String by = out.tried().get(out.answeredBy()).member();
        self.metrics().cascadeAnswered(by);
        boolean wasDeferred = out.tried().get(0).deferred();
        long n = requests.incrementAndGet();
        long d = wasDeferred ? deferred.incrementAndGet() : deferred.get();
        Job.CascadeOutcome c = new Job.CascadeOutcome(by, out.reason(), tried, runner.rule().name(),
                runner.threshold(), wasDeferred, (double) d / n);
        return new Job.Outcome(o.promptIds(), r, text, tail, o.finishReason(), "cascade", o.timing(), o.budget(), c,
                o.usage());
    }
}
