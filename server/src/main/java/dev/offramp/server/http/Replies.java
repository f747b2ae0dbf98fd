package dev.offramp.server.http;

import dev.offramp.server.serve.ClientRequest;
import dev.offramp.server.serve.Job;
import dev.offramp.server.serve.ModelWorker;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How a submitted job answers once done, on the engine thread right after its last token (so a stream's events stay
 * in order): a whole JSON response with the budget outcome header, or the stream's last events and its end.
 */
final class Replies {
    private Replies() {}

    /** Submits a job of {@code ex}'s request (its client), then answers {@code ex} when it is done. */
    static void submit(ModelWorker engine, Exchange ex, ClientRequest request, Job.Sink sink,
                       Function<Job.Outcome, Object> whole, Function<Job.Outcome, List<Object>> lastEvents) {
        Job job = new Job(request, sink, ex, ex.arrival());
        engine.submit(job);
        job.done().whenComplete((out, failure) -> {
            if (failure != null) {
                ex.fail(failure);
            } else if (job.request().stream()) {
                lastEvents.apply(out).forEach(ex::event);
                ex.endStream();
            } else {
                ex.respond(HttpResponseStatus.OK, whole.apply(out), out.budget() == null ? Map.of()
                        : Map.of(Exchange.BUDGET_OUTCOME, out.budget().outcome()));
            }
        });
    }
}
