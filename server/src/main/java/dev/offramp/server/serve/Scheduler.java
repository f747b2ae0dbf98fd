package dev.offramp.server.serve;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.Batch;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The engine thread's loop: iteration-level continuous batching. Between steps, waiting jobs join (up to the running
 * limit), jobs whose client left are cancelled (their KV cache freed), jobs whose client stopped reading are held,
 * budgeted jobs get their depth cap (or, asked to be cut, end at their deadline); then one batch step advances every
 * other job by a token.
 *
 * <p>Nothing a request causes may end this thread: what one job alone throws (joining, its sink) fails that job; what
 * an iteration throws (a step over the whole batch) fails the jobs running in it; {@link Error}s included, since a
 * request could provoke one (a stack overflow) and every later request would otherwise hang.
 */
public final class Scheduler {
    private final LoadedModel model;
    private final ModelWorker.Limits limits;
    private final Metrics metrics;
    private final BlockingQueue<Job> waiting;
    private final Runnable released;   // a job left: admission may take another
    private final LongSupplier nanoTime;
    private final Batch batch;
    private final BudgetController budget;
    private final List<Job> running = new ArrayList<>();
    private final int layers;

    Scheduler(LoadedModel model, ModelWorker.Limits limits, Metrics metrics,
              BlockingQueue<Job> waiting, Runnable released, LongSupplier nanoTime) {
        this.model = model;
        this.limits = limits;
        this.metrics = metrics;
        this.waiting = waiting;
        this.released = released;
        this.nanoTime = nanoTime;
        this.layers = model.config().layers();
        this.batch = new Batch(model.transformer(), nanoTime);
        this.budget = new BudgetController(layers, limits.budgetMinLayer(layers));
    }

    /** Runs until {@code closing}; then fails whatever is left with 503. */
    void run(BooleanSupplier closing) throws InterruptedException {
        try {
            while (!closing.getAsBoolean()) {
                try {
                    iterate();
                } catch (RuntimeException | Error e) {
                    failRunning(e);  // the jobs in this batch fail, the server goes on
                }
            }
        } finally {
            ServingException down = ServingException.shuttingDown();
            failRunning(down);
            for (Job j; (j = waiting.poll()) != null; ) {
                j.done.completeExceptionally(down);
            }
            batch.close();
        }
    }

    /** Refuses jobs that waited too long, admits, then advances the batch by one step (or waits a little). */
    private void iterate() throws InterruptedException {
        expireWaiting();
        admit();
        if (running.isEmpty()) {
            Job next = waiting.poll(50, TimeUnit.MILLISECONDS);
            if (next != null) {
                join(next);
            }
            return;
        }
        if (!prepareStep()) {
            Thread.sleep(1);  // every job waits on a slow reader
            return;
        }
        batch.step();
        budget.observe(batch.lastStep());
        metrics.batchSize(running.size());
        finishDone();
    }

    /** Refuses the waiting jobs that have waited longer than allowed (the client is likely to have given up). */
    private void expireWaiting() {
        long limit = limits.maxQueueWait().toNanos();
        if (limit == 0 || waiting.isEmpty()) {
            return;
        }
        long now = nanoTime.getAsLong();
        for (Job j : waiting) {
            if (now - j.arrival > limit && waiting.remove(j)) {
                metrics.rejected("queue_timeout");
                released.run();
                j.done.completeExceptionally(ServingException.queueTimeout((now - j.arrival) / 1_000_000));
            }
        }
    }

    private void admit() {
        while (running.size() < limits.maxRunning()) {
            Job j = waiting.poll();
            if (j == null) {
                return;
            }
            join(j);
        }
    }

    private void join(Job j) {
        if (j.client.disconnected()) {
            metrics.cancelled("client_disconnected");
            released.run();
            j.done.completeExceptionally(ServingException.cancelled("client_disconnected"));
            return;
        }
        try {
            RequestPlan.Prepared p = j.prepared;  // checked and tokenized on the validation pool
            j.prompt = p.promptIds();
            j.mode = p.mode();
            j.text = new TextStream(model.tokenizer(), j.request.stop());
            j.joined = nanoTime.getAsLong();
            j.slot = batch.join(p.request(), listener(j));
        } catch (RuntimeException | Error e) {
            released.run();
            j.done.completeExceptionally(e);
            return;
        }
        running.add(j);
        try {
            j.sink.start();
        } catch (RuntimeException | Error e) {
            j.failure = e;  // this job alone: it leaves at the next step with that failure, the batch goes on
            j.slot.cancel();
        }
    }

    private TokenListener listener(Job j) {
        return (id, exitLayer, signals) -> {
            long now = nanoTime.getAsLong();
            if (j.firstToken == 0) {
                j.firstToken = now;
                metrics.timeToFirstToken(j.mode, now - j.arrival);
            } else {
                metrics.interTokenLatency(j.mode, now - j.lastToken);
            }
            j.lastToken = now;
            metrics.exitLayer(j.mode, exitLayer, layers);
            try {
                j.sink.token(id, exitLayer, signals, model.tokenizer(), j.text.push(id));
            } catch (RuntimeException | Error e) {
                j.failure = e;  // inside the step: the job stops here instead of being cancelled
                return false;
            }
            return !j.text.stopped();
        };
    }

    /** Cancels, holds and caps before a step; false when no job can take a step now (nor needs one to end). */
    private boolean prepareStep() {
        long now = nanoTime.getAsLong();
        boolean any = false;
        for (Job j : running) {
            if (j.client.disconnected()) {
                cancel(j, "client_disconnected");
                any = true;  // the step frees it
                continue;
            }
            if (j.cutAtDeadline && j.hasBudget() && now >= j.deadline()) {
                stop(j);
                any = true;  // the step ends it
                continue;
            }
            boolean blocked = j.blocked();
            if (blocked && j.heldSince == 0) {
                j.heldSince = now;
            } else if (!blocked) {
                j.heldSince = 0;
            }
            if (blocked && now - j.heldSince > limits.stallTimeout().toNanos()) {
                cancel(j, "client_stalled");
                any = true;
                continue;
            }
            j.slot.hold(blocked);
            any |= !blocked;
            if (j.hasBudget()) {
                int left = j.request.maxTokens() - j.slot.generated();
                j.slot.capDepth(budget.cap(now, j.deadline(), left, running.size()));
            }
        }
        return any;
    }

    /**
     * Ends a job at its deadline (X-Latency-Budget-Policy: cut): its slot leaves at the next step with the tokens it
     * already produced ({@link dev.offramp.model.engine.Slot#cancel} keeps them as its result), and the job is
     * answered as a success, finish_reason "deadline".
     */
    private void stop(Job j) {
        if (!j.cut) {
            j.cut = true;
            j.slot.cancel();
        }
    }

    private void cancel(Job j, String reason) {
        if (j.cancelReason == null) {
            j.cancelReason = reason;
            j.slot.cancel();
            metrics.cancelled(reason);
        }
    }

    /** Completes the jobs whose slot finished, with their outcome, and frees their place. */
    private void finishDone() {
        long now = nanoTime.getAsLong();
        long kvTokens = 0;
        for (var it = running.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (!j.slot.done()) {
                kvTokens += j.slot.cachedTokens();
                continue;
            }
            it.remove();
            released.run();
            if (j.failure != null) {
                j.done.completeExceptionally(j.failure);
                continue;
            }
            if (j.cancelReason != null) {
                j.done.completeExceptionally(ServingException.cancelled(j.cancelReason));
                continue;
            }
            j.done.complete(outcome(j, now));
        }
        metrics.kvUsage((double) kvTokens / ((long) limits.maxRunning() * model.config().contextLength()));
    }

    private Job.Outcome outcome(Job j, long now) {
        GenerationResult r = j.slot.result();
        String tail = j.text.finish();
        String finish = j.cut ? "deadline"
                : j.text.stopped() || r.ids().length < j.request.maxTokens() ? "stop" : "length";
        long first = j.firstToken == 0 ? now : j.firstToken;
        Job.Timing timing = new Job.Timing((j.joined - j.arrival) / 1e6, (first - j.joined) / 1e6,
                (now - first) / 1e6);
        Job.Budget b = null;
        if (j.hasBudget()) {
            boolean met = now <= j.deadline();
            b = new Job.Budget(j.budgetNanos / 1_000_000, met ? "met" : "missed");
            metrics.budget(j.budgetNanos, met);
        }
        long skipped = 0;
        for (int e : r.exitLayers()) {
            skipped += layers - e;
        }
        metrics.tokens(j.mode, j.prompt.length, r.ids().length);
        metrics.layers(j.mode, r.layersComputed(), skipped);
        metrics.speculative(j.mode, r.drafted(), r.accepted(), r.drafts(), r.acceptedByPosition());
        metrics.drift(r.drift().checked(), r.drift().disagreed());
        metrics.requestDuration(j.mode, now - j.arrival);
        return new Job.Outcome(j.prompt, r, j.text.text(), tail, finish, j.mode, timing, b, null,
                Wire.Usage.of(j.prompt.length, r.ids().length));
    }

    private void failRunning(Throwable e) {
        for (Job j : running) {
            j.slot.cancel();
            released.run();
            j.done.completeExceptionally(e);
        }
        running.clear();
        batch.close();  // frees every slot's cache; the batch takes new jobs afterwards
    }
}
