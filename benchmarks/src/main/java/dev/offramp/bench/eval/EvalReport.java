package dev.offramp.bench.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offramp.model.engine.Mode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** An {@link EvalRun} as a small table for people or one JSON object for tools. */
final class EvalReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvalReport() {}

    /** The mode's name and the knobs it was given, in wire spelling. */
    static Map<String, Object> knobs(Mode mode) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("mode", mode.name());
        if (mode instanceof Mode.Static s) {
            k.put("exit_layer", s.exitLayer());
        } else if (mode instanceof Mode.EarlyExit e) {
            k.put("policy", e.policy().toString());
            k.put("kv", e.kv().name().toLowerCase(Locale.ROOT));
        } else if (mode instanceof Mode.Skip s) {
            k.put("speedup", s.speedup());
        } else if (mode instanceof Mode.SelfSpeculative s) {
            k.put("exit_layer", s.exitLayer());
            k.put("draft", s.maxDraft());
            k.put("draft_stop", s.stopConfidence());
        }
        return k;
    }

    static String json(EvalRun run) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", run.model()).put("layers", run.layers()).put("engine", run.engine())
                .put("threads", run.threads());
        knobs(run.mode()).forEach((key, value) -> root.set(key, JSON.valueToTree(value)));
        FreeRunResult f = run.free();
        ObjectNode free = root.putObject("free_running");
        free.put("prompts", f.prompts()).put("prompt_tokens", f.promptTokens()).put("new_tokens", f.newTokens())
                .put("agreement_prefix", f.agreementPrefix()).put("agreement_overall", f.agreementOverall())
                .put("agreement_per_token", f.agreementPerToken())
                .put("layers_per_token", f.layersPerToken()).put("full_layers_per_token", f.fullLayersPerToken())
                .put("layer_ratio", f.layerRatio()).put("exit_checks_per_token", f.exitChecksPerToken())
                .put("mean_exit_layer", f.meanExitLayer())
                .put("tokens_per_s", f.tokensPerSecond()).put("full_tokens_per_s", f.fullTokensPerSecond())
                .put("speedup", f.speedup())
                .put("decode_tokens_per_s", f.decodeTokensPerSecond())
                .put("full_decode_tokens_per_s", f.fullDecodeTokensPerSecond())
                .put("decode_speedup", f.decodeSpeedup());
        if (f.drafted() > 0) {
            free.put("drafted", f.drafted()).put("accepted", f.accepted()).put("acceptance_rate", f.acceptanceRate());
        }
        TeacherResult t = run.teacher();
        if (t == null) {
            root.putNull("teacher_forced");
        } else {
            root.putObject("teacher_forced").put("tokens", t.tokens()).put("mean_exit_layer", t.meanExitLayer())
                    .put("perplexity", t.perplexity()).put("full_perplexity", t.fullPerplexity())
                    .put("argmax_agreement", t.argmaxAgreement());
        }
        return root.toString();
    }

    static String table(EvalRun run) {
        StringBuilder s = new StringBuilder();
        line(s, "%s (%d layers), %s, %d thread%s", run.model(), run.layers(), run.engine(), run.threads(),
                run.threads() == 1 ? "" : "s");
        StringBuilder mode = new StringBuilder();
        knobs(run.mode()).forEach((key, value) -> mode.append(mode.length() == 0 ? "" : ", ")
                .append(key.equals("mode") ? "" : key.replace('_', ' ') + " ").append(value));
        line(s, "mode: %s", mode);
        free(s, run);
        if (run.teacher() != null) {
            teacher(s, run);
        }
        return s.toString().stripTrailing();
    }

    private static void free(StringBuilder s, EvalRun run) {
        FreeRunResult f = run.free();
        line(s, "");
        line(s, "free-running, greedy: %d prompts of %d tokens, %d new tokens each", f.prompts(), f.promptTokens(),
                f.newTokens());
        line(s, "| %-34s | %16s | %16s |", "", "full", run.mode().name());
        line(s, "|%s|%s|%s|", "-".repeat(36), "-".repeat(18), "-".repeat(18));
        row(s, "agreement until first divergence", "", fmt("%.3f", f.agreementPrefix()));
        row(s, "agreement overall (same position)", "", fmt("%.3f", f.agreementOverall()));
        row(s, "agreement per token (same prefix)", "", fmt("%.3f", f.agreementPerToken()));
        row(s, "layers per decoded token", fmt("%.2f", f.fullLayersPerToken()), fmt("%.2f", f.layersPerToken()));
        row(s, "exit checks per decoded token", "", fmt("%.2f", f.exitChecksPerToken()));
        row(s, "mean exit layer", fmt("%d", run.layers()), fmt("%.2f", f.meanExitLayer()));
        if (f.drafted() > 0) {
            row(s, "drafted / accepted", "", f.drafted() + " / " + f.accepted());
            row(s, "acceptance rate", "", fmt("%.3f", f.acceptanceRate()));
        }
        row(s, "tokens/s", fmt("%.1f", f.fullTokensPerSecond()), fmt("%.1f", f.tokensPerSecond()));
        row(s, "decode tokens/s (prefill left out)", fmt("%.1f", f.fullDecodeTokensPerSecond()),
                fmt("%.1f", f.decodeTokensPerSecond()));
        line(s, "speed-up %.2fx (tokens/s; %.2fx decoding alone), layer ratio %.2fx (full layers / mode layers per "
                + "token)", f.speedup(), f.decodeSpeedup(), f.layerRatio());
    }

    private static void teacher(StringBuilder s, EvalRun run) {
        TeacherResult t = run.teacher();
        line(s, "");
        line(s, "teacher-forced: %d tokens in windows of %d", t.tokens(), TeacherForcing.WINDOW);
        line(s, "| %-10s | %15s | %10s | %19s |", "exit", "mean exit layer", "perplexity", "argmax = full depth");
        line(s, "|%s|%s|%s|%s|", "-".repeat(12), "-".repeat(17), "-".repeat(12), "-".repeat(21));
        if (!(run.mode() instanceof Mode.Full)) {
            line(s, "| %-10s | %15.2f | %10.3f | %19.4f |", run.mode().name(), t.meanExitLayer(), t.perplexity(),
                    t.argmaxAgreement());
        }
        line(s, "| %-10s | %15d | %10.3f | %19.4f |", "full", run.layers(), t.fullPerplexity(), 1.0);
    }

    private static void row(StringBuilder s, String metric, String full, String mode) {
        line(s, "| %-34s | %16s | %16s |", metric, full, mode);
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(fmt(format, args)).append('\n');
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
