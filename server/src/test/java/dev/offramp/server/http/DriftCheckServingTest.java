package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The served drift check: requests under a bad exit setting (every token leaves after layer 1 of stories260K, a model
 * not trained to exit) move the drift counters, and the disagreement ratio the alert reads rises above 0.
 */
class DriftCheckServingTest {
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
    void aBadExitSettingMovesTheDriftCountersAndTheRatio() throws Exception {
        String checks = "offramp_exit_drift_checks_total{model=\"stories260K.bin\"}";
        String disagreements = "offramp_exit_drift_disagreements_total{model=\"stories260K.bin\"}";
        String scrape = scrape();
        assertThat(scrape).contains(checks + " 0.0").contains(disagreements + " 0.0")
                .contains("offramp_exit_disagreement_ratio{model=\"stories260K.bin\"} NaN");
        String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"early_exit\":{\"policy\":"
                + "\"margin:threshold=0.0001,min_layer=1,every=1\"}}";
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

    private static String scrape() throws Exception {
        return ServerTest.CLIENT.send(HttpRequest.newBuilder(EngineResilienceTest.uri(server, "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
