package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The VECTOR kernel's helpers: every chunk runs once, failures reach the caller, and a busy crew never blocks. */
class ProductCrewTest {
    @Test
    void everyChunkRunsOnceAndTheHelpersTakeTheirShare() throws Exception {
        ProductCrew crew = new ProductCrew();
        java.util.Set<String> threads = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < 1000; round++) {  // helpers spin, park and wake between rounds
            AtomicIntegerArray ran = new AtomicIntegerArray(12);
            crew.run(3, 12, c -> {
                ran.incrementAndGet(c);
                threads.add(Thread.currentThread().getName());
                if (c == 0) {
                    Thread.onSpinWait();
                }
            });
            for (int c = 0; c < 12; c++) {
                assertThat(ran.get(c)).as("chunk %d of round %d", c, round).isEqualTo(1);
            }
            if (round % 100 == 99) {
                Thread.sleep(1);  // long enough for the helpers to park
            }
        }
        assertThat(threads).as("the caller and both helpers worked").hasSize(3);
    }

    @Test
    void aHelpersFailureIsThrownToTheCallerAndTheCrewGoesOn() {
        ProductCrew crew = new ProductCrew();
        assertThatThrownBy(() -> crew.run(2, 8, c -> {
            if (c == 5) {
                throw new IllegalStateException("chunk 5 failed");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 5 failed");
        AtomicIntegerArray ran = new AtomicIntegerArray(8);
        crew.run(2, 8, ran::incrementAndGet);
        for (int c = 0; c < 8; c++) {
            assertThat(ran.get(c)).isEqualTo(1);
        }
    }

    @Test
    void aSecondCallerWhileTheCrewIsBusyRunsEveryChunkItself() throws Exception {
        ProductCrew crew = new ProductCrew();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean blocked = new java.util.concurrent.atomic.AtomicBoolean();
        Thread first = new Thread(() -> crew.run(2, 2, c -> {
            if (blocked.compareAndSet(false, true)) {  // the crew stays busy until it is released
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }), "first");
        first.start();
        inside.await();
        ConcurrentHashMap<Integer, String> on = new ConcurrentHashMap<>();
        crew.run(2, 2, c -> on.put(c, Thread.currentThread().getName()));
        assertThat(on).containsOnlyKeys(0, 1).containsValue(Thread.currentThread().getName());
        assertThat(on.get(0)).isEqualTo(on.get(1));
        release.countDown();
        first.join();
    }
}
