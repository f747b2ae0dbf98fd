package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.deploy.DeploymentAssetsTest;
import dev.offramp.server.deploy.PromQl;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fresh server's scrape: the labelled counters the dashboard and the alert rules read exist at 0 before any traffic
 * (once they appeared only at their first increment, and the panels said "no data"); and a stream the engine cancels
 * is counted as cancelled (499), not as the 200 its headers said.
 */
class MetricsAtStartTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = CascadeServingTest.server(2.0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyCounterTheDashboardAndAlertsReadIsThereBeforeAnyTraffic() throws Exception {
        DeploymentAssetsTest.Scrape fresh = DeploymentAssetsTest.Scrape.of(scrape());
        Map<String, String> queries = new LinkedHashMap<>(DeploymentAssetsTest.dashboardQueries());
        List<String> alerts = DeploymentAssetsTest.yamlValues(Files.readString(DeploymentAssetsTest.ALERTS), "expr");
        for (int i = 0; i < alerts.size(); i++) {
            queries.put("alert rule " + (i + 1), alerts.get(i));
        }
        List<String> problems = new ArrayList<>();
        List<String> counters = new ArrayList<>();
        for (Map.Entry<String, String> q : queries.entrySet()) {
            for (var s : PromQl.selectors(DeploymentAssetsTest.concrete(q.getValue()))) {
                if (s.metric().startsWith("offramp_") && s.metric().endsWith("_total")) {
                    counters.add(s.metric());
                    problems.addAll(fresh.check(q.getKey(), s));
                }
            }
        }
        assertThat(counters).contains("offramp_budget_outcome_total", "offramp_cascade_deferrals_total",
                "offramp_requests_cancelled_total", "offramp_requests_rejected_total", "offramp_requests_total",
                "offramp_layers_computed_total", "offramp_speculative_drafted_tokens_total");
        assertThat(problems).isEmpty();
        String text = scrape();
        assertThat(text).contains("offramp_budget_outcome_total{model=\"stories260K.bin\",outcome=\"missed\"} 0.0")
                .contains("offramp_requests_cancelled_total{model=\"stories260K.bin\",reason=\"client_stalled\"} 0.0")
                .contains("offramp_cascade_deferrals_total{from=\"stories260K.bin:3\",model=\"stories260K.bin\","
                        + "to=\"stories260K.bin\"} 0.0")
                .contains("offramp_cascade_answered_total{member=\"stories260K.bin\",model=\"stories260K.bin\"} 0.0")
                .contains("offramp_requests_rejected_total{model=\"stories260K.bin\",reason=\"queue_full\"} 0.0")
                .contains("offramp_speculative_drafts_total{mode=\"self-speculative\",model=\"stories260K.bin\"} 0.0")
                .contains("offramp_speculative_accepted_tokens_per_position_total{mode=\"self-speculative\","
                        + "model=\"stories260K.bin\",position=\"11\"} 0.0");
    }

    @Test
    void aStreamWhoseClientLeftIsCountedAsCancelledNotAs200() throws Exception {
        String ok = "offramp_requests_total{model=\"stories260K.bin\",route=\"/v1/completions\",status=\"200\"}";
        String gone = "offramp_requests_total{model=\"stories260K.bin\",route=\"/v1/completions\",status=\"499\"}";
        double ok0 = value(scrape(), ok);
        double gone0 = value(scrape(), gone);
        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":480,\"stream\":true}";
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            SchedulingTest.readUntil(s.getInputStream(), "data: ");
        }  // gone mid-stream
        for (int i = 0; i < 3000 && value(scrape(), gone) == gone0; i++) {
            Thread.sleep(10);
        }
        assertThat(value(scrape(), gone)).isEqualTo(gone0 + 1);
        assertThat(value(scrape(), ok)).isEqualTo(ok0);
    }

    /**
     * The served drift check: requests under a bad exit setting (every token leaves after layer 1 of stories260K, a
     * model not trained to exit) move the drift counters, and the ratio the alert reads is theirs. No other test
     * here sends early-exit requests, so the counters start at 0 whatever the order. The setting is strict: the
     * check-cost model may thin a layer-1 check on this model to none (it prices the deferred layers at a whole layer
     * each), and then only the first request's tokens would exit.
     */
    @Test
    void aBadExitSettingMovesTheDriftCountersAndTheRatio() throws Exception {
        String checks = "offramp_exit_drift_checks_total{model=\"stories260K.bin\"}";
        String disagreements = "offramp_exit_drift_disagreements_total{model=\"stories260K.bin\"}";
        String scrape = scrape();
        assertThat(scrape).contains(checks + " 0.0").contains(disagreements + " 0.0")
                .contains("offramp_exit_disagreement_ratio{model=\"stories260K.bin\"} NaN");
        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"early_exit\":{\"policy\":"
                + "\"strict(margin:threshold=0.0001,min_layer=1,every=1)\"}}";
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = ServerTest.CLIENT.send(HttpRequest.newBuilder(EngineResilienceTest.uri(server,
                    "/v1/completions")).header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        scrape = scrape();
        double checked = MetricsAtStartTest.value(scrape, checks);
        double disagreed = MetricsAtStartTest.value(scrape, disagreements);
        assertThat(checked).as("each request's first exit and every 16th after it").isGreaterThanOrEqualTo(6);
        assertThat(disagreed).isPositive().isLessThanOrEqualTo(checked);
        assertThat(MetricsAtStartTest.value(scrape, "offramp_exit_disagreement_ratio{model=\"stories260K.bin\"}"))
                .isEqualTo(disagreed / checked);
    }

    static String scrape() throws Exception {
        return ServerTest.CLIENT.send(HttpRequest.newBuilder(EngineResilienceTest.uri(server, "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
