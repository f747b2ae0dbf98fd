package dev.offramp.bench.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A sweep's rows as CSV (RFC 4180: fields with commas or quotes are quoted), one row per value of each policy. */
final class SweepCsv {
    static final String HEADER = "policy,value,spec,agreement_prefix,agreement_overall,agreement_per_token,"
            + "layers_per_token,layer_ratio,exit_checks_per_token,tokens_per_s,full_tokens_per_s,speedup";

    private SweepCsv() {}

    static void write(List<SweepRow> rows, Path file) throws IOException {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        for (SweepRow row : rows) {
            FreeRunResult r = row.result();
            s.append(field(row.policy())).append(',').append(field(row.value())).append(',').append(field(row.spec()))
                    .append(String.format(Locale.ROOT, ",%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.4f%n",
                            r.agreementPrefix(), r.agreementOverall(), r.agreementPerToken(), r.layersPerToken(),
                            r.layerRatio(), r.exitChecksPerToken(), r.tokensPerSecond(), r.fullTokensPerSecond(),
                            r.speedup()));
        }
        Files.writeString(file, s.toString());
    }

    private static String field(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }
}
