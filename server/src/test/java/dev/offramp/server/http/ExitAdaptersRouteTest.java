package dev.offramp.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ModelWorker;
import com.fasterxml.jackson.databind.JsonNode;
import dev.offramp.model.DeviceChoice;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.ExitAdapter;
import dev.offramp.model.ExitAdapterChoice;
import dev.offramp.model.ExitAdapters;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /v1/models says whether the model's exits run through adapters, and at which layers. */
class ExitAdaptersRouteTest {
    @TempDir
    Path dir;

    @Test
    void modelsRouteNamesTheAdaptedLayers() throws Exception {
        float[] gain = new float[64];
        Arrays.fill(gain, 1f);
        Path file = dir.resolve(ExitAdapters.FILE_NAME);
        new ExitAdapters(List.of(new ExitAdapter(2, 0, gain, new float[0], new float[0]),
                new ExitAdapter(3, 0, gain, new float[0], new float[0]))).write(file);
        try (Server s = new Server(new ServerConfig("127.0.0.1", 0, 64 * 1024), new ModelWorker("stories260K.bin",
                () -> LoadedModel.open(ServerTest.MODEL, null, DjlRuntime.start(1), DeviceChoice.CPU,
                        KernelOptions.reference(), ExitAdapterChoice.file(file)))).start()) {
            s.engine().awaitLoaded();
            HttpResponse<String> r = ServerTest.CLIENT.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.port() + "/v1/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode card = ServerTest.JSON.readTree(r.body()).get("data").get(0);
            assertThat(card.get("exit_adapters").asBoolean()).isTrue();
            assertThat(card.get("exit_adapter_layers").toString()).isEqualTo("[2,3]");
        }
    }
}
