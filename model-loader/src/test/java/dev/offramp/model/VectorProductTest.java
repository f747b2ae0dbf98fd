package dev.offramp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The VECTOR kernel's product against a double-precision sum, and its independence from the other rows and from the
 * threads it is shared among.
 */
class VectorProductTest {
    private static final ProductCrew CREW = new ProductCrew();

    @ParameterizedTest
    @CsvSource({"64,256", "172,64", "23,37", "256,1408", "16,1"})  // whole vectors, and widths padded to them
    void everyRowCountMatchesADoubleSumAndEachRowAlone(int in, int out) {
        Random rnd = new Random(in * 31L + out);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        float[] padded = VectorProduct.pad(w, out, in);
        for (int n = 1; n <= 17; n++) {  // every block of rows: 8, 4, 2, 1 and their mixtures
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] y = VectorProduct.apply(padded, out, in, x, n, null, 1);
            assertThat(y).hasSize(n * out);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < out; j++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int k = 0; k < in; k++) {
                        sum += (double) w[j * in + k] * x[r * in + k];
                        magnitude += Math.abs((double) w[j * in + k] * x[r * in + k]);
                    }
                    assertThat((double) y[r * out + j]).as("n %d row %d out %d", n, r, j)
                            .isCloseTo(sum, within(1e-6 * magnitude + 1e-30));
                }
                float[] alone = VectorProduct.apply(padded, out, in, Arrays.copyOfRange(x, r * in, (r + 1) * in), 1,
                        null, 1);
                assertThat(Arrays.copyOfRange(y, r * out, (r + 1) * out)).as("row %d of %d, bit for bit", r, n)
                        .containsExactly(alone);
            }
            for (int threads = 2; threads <= 3; threads++) {  // out 1 leaves some threads no output at all
                assertThat(VectorProduct.apply(padded, out, in, x, n, CREW, threads))
                        .as("%d rows on %d threads, bit for bit", n, threads).containsExactly(y);
            }
        }
    }

    /** A propagated K/V fill asks for a range of outputs: each is the whole product's, bit for bit; the rest 0. */
    @ParameterizedTest
    @CsvSource({"64,128,64,128", "256,512,256,512", "23,37,5,30", "16,9,0,1"})
    void aRangeOfOutputsIsTheWholeProductsThere(int in, int out, int first, int last) {
        Random rnd = new Random(in * 17L + first);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        float[] padded = VectorProduct.pad(w, out, in);
        for (int n : new int[] {1, 3, 9}) {
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] whole = VectorProduct.apply(padded, out, in, x, n, null, 1);
            for (int threads = 1; threads <= 2; threads++) {
                float[] part = VectorProduct.apply(padded, out, in, x, n, CREW, threads, first, last);
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < out; j++) {
                        assertThat(part[r * out + j]).as("n %d, %d threads, row %d, out %d", n, threads, r, j)
                                .isEqualTo(j >= first && j < last ? whole[r * out + j] : 0f);
                    }
                }
            }
        }
    }
}
