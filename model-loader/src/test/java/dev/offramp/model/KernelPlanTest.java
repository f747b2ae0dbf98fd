package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The kernel plan: buckets, its JSON form, the planner's choice under a fake timer, pinning and the cache. */
class KernelPlanTest {
    private static final Path STORIES = Reference.SHARED.resolve("models/stories260K/stories260K.bin");

    private static Kernel k(String s) {
        return Kernel.parse(s);
    }

    @ParameterizedTest
    @CsvSource({"1,ONE", "2,FEW", "3,FEW", "4,SOME", "7,SOME", "8,MANY", "15,MANY", "16,MANY", "17,PREFILL",
            "500,PREFILL"})
    void rowsFallIntoBuckets(int rows, Bucket want) {
        assertThat(Bucket.of(rows)).isEqualTo(want);
        assertThat(Bucket.of(want.timedRows())).as("a bucket's timed rows lie in it").isEqualTo(want);
    }

    @Test
    void kernelsParseAndNameTheirFaults() {
        assertThat(k("f16/matmul/2t")).isEqualTo(new Kernel(Kernel.Precision.F16, Kernel.Layout.MATMUL, 2));
        assertThat(Kernel.parse(Kernel.REFERENCE.toString())).isEqualTo(Kernel.REFERENCE);
        assertThatThrownBy(() -> k("f8/linear/1t")).hasMessageContaining("expected f32|f16");
        assertThatThrownBy(() -> k("f16/linear")).hasMessageContaining("expected precision/layout/Nt");
        assertThatThrownBy(() -> k("f16/linear/0t")).hasMessageContaining("positive");
        assertThat(k("f32/vector/1t").layout()).isEqualTo(Kernel.Layout.VECTOR);
        assertThatThrownBy(() -> k("f16/vector/1t")).hasMessageContaining("the vector kernel is float32");
        assertThat(k("f32/vector/2t").threads()).isEqualTo(2);
        assertThat(KernelPlanner.candidates(2, false)).noneMatch(c -> c.layout() == Kernel.Layout.VECTOR);
        assertThat(KernelPlanner.candidates(2, true)).filteredOn(c -> c.layout() == Kernel.Layout.VECTOR)
                .containsExactly(k("f32/vector/1t"), k("f32/vector/2t"));
        assertThatThrownBy(() -> KernelOptions.parse("fast", null)).hasMessageContaining("expected auto, f32 or f16");
    }

    @Test
    void aPlanSurvivesItsJsonForm() throws Exception {
        KernelPlan plan = KernelPlan.uniform(Kernel.REFERENCE).with(Bucket.ONE, k("f16/linear/2t"))
                .with(Product.HEAD, Bucket.SOME, k("f32/matmul/2t")).measured(Bucket.ONE, 1234.5);
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> back = json.readValue(json.writeValueAsString(plan.toJson()), Map.class);
        KernelPlan read = KernelPlan.fromJson(back);
        assertThat(read).isEqualTo(plan);
        assertThat(read.passMicros(Bucket.ONE)).isEqualTo(1234.5);
        assertThat(read.passMicros(Bucket.FEW)).isNaN();
        assertThatThrownBy(() -> KernelPlan.fromJson(Map.of("kernels", Map.of())))
                .hasMessageContaining("expected kernels for QKV");
    }

    /**
     * A fake timer prices each product by its kernel: the planner must pick, per bucket, the uniform kernel it is
     * told is cheapest, and then a per-product change that it is told makes the pass cheaper (the head at one row).
     * Every pass still runs, so each candidate form is exercised at every bucket's row count.
     */
    @Test
    void aFakeTimerPicksTheFormItIsToldIsFastest() {
        Map<Bucket, Kernel> winner = Map.of(Bucket.ONE, k("f16/linear/2t"), Bucket.FEW, k("f32/matmul/1t"),
                Bucket.SOME, k("f16/matmul/2t"), Bucket.MANY, k("f32/linear/2t"), Bucket.PREFILL, k("f32/matmul/2t"));
        Kernel headAtOne = k("f16/matmul/2t");
        List<String> timed = new ArrayList<>();
        KernelPlanner.PassTimer fake = (plan, bucket, pass) -> {
            pass.run();
            timed.add(bucket.name());
            double sum = 0;
            for (Product p : Product.values()) {
                Kernel kernel = plan.kernel(p, bucket);
                if (kernel.equals(winner.get(bucket))) {
                    sum += 1.0;
                } else if (bucket == Bucket.ONE && kernel.equals(headAtOne)) {
                    sum += p == Product.HEAD ? 0.5 : 1.2;  // near the best uniform, and better for the head
                } else {
                    sum += 2.0;
                }
            }
            return sum;
        };
        try (LoadedModel model = LoadedModel.open(STORIES, null, DjlRuntime.start(1), DeviceChoice.CPU)) {
            Transformer tf = model.transformer();
            KernelPlanner planner = new KernelPlanner(tf.weights, new IntraOpThreads(2), fake);
            KernelPlan plan = planner.plan(KernelPlanner.candidates(2, true), tf.manager());
            for (Bucket b : Bucket.values()) {
                for (Product p : Product.values()) {
                    Kernel want = b == Bucket.ONE && p == Product.HEAD ? headAtOne : winner.get(b);
                    assertThat(plan.kernel(p, b)).as("%s at %s", p, b).isEqualTo(want);
                }
            }
            assertThat(plan.passMicros(Bucket.ONE)).isEqualTo(4 * 1.0 + 0.5);
            assertThat(plan.passMicros(Bucket.FEW)).isEqualTo(5 * 1.0);
            assertThat(timed).as("every bucket timed").containsAll(
                    List.of("ONE", "FEW", "SOME", "MANY", "PREFILL"));
        }
    }

    @Test
    void pinnedFloat16HoldsHalfTheWeightBytes() {
        DjlRuntime runtime = DjlRuntime.start(1);
        try (LoadedModel f32 = LoadedModel.open(STORIES, null, runtime, DeviceChoice.CPU, KernelOptions.reference());
             LoadedModel f16 = LoadedModel.open(STORIES, null, runtime, DeviceChoice.CPU,
                     KernelOptions.of(KernelChoice.F16))) {
            assertThat(f16.transformer().matrixBytes() * 2).isEqualTo(f32.transformer().matrixBytes());
            assertThat(f16.transformer().kernelPlan().kernel(Product.QKV, Bucket.PREFILL).precision())
                    .isEqualTo(Kernel.Precision.F16);
        }
    }

    /** A planned kernel is cached per machine and model shape; a restart reads it, a broken file is replanned. */
    @Test
    void aRestartReadsThePlanFromTheCache(@TempDir Path cache) throws Exception {
        DjlRuntime runtime = DjlRuntime.start(2);
        KernelOptions auto = new KernelOptions(KernelChoice.AUTO, cache);
        KernelPlan planned;
        try (LoadedModel m = LoadedModel.open(STORIES, null, runtime, DeviceChoice.CPU, auto)) {
            planned = m.transformer().kernelPlan();
        }
        List<Path> files;
        try (var list = Files.list(cache)) {
            files = list.toList();
        }
        assertThat(files).hasSize(1);
        assertThat(planned.passMicros(Bucket.ONE)).as("the planner measured it").isPositive();

        // plant a distinctive plan under the same key: the next load must use it, not plan again
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> file = json.readValue(files.get(0).toFile(), Map.class);
        KernelPlan planted = KernelPlan.uniform(k("f16/matmul/1t"));
        file.put("plan", planted.toJson());
        json.writeValue(files.get(0).toFile(), file);
        try (LoadedModel m = LoadedModel.open(STORIES, null, runtime, DeviceChoice.CPU, auto)) {
            assertThat(m.transformer().kernelPlan()).isEqualTo(planted);
        }

        Files.writeString(files.get(0), "{not json");
        try (LoadedModel m = LoadedModel.open(STORIES, null, runtime, DeviceChoice.CPU, auto)) {
            assertThat(m.transformer().kernelPlan().passMicros(Bucket.ONE)).as("planned again").isPositive();
        }
    }
}
