package dev.offramp.model.io;

import dev.offramp.model.ModelLoadException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A llama2.c checkpoint in the legacy v0 format (karpathy/llama2.c {@code run.c}): a header of 7 little-endian int32,
 * then float32 weights in llama2.c order. Tensors are named as in Hugging Face Llama and are zero-copy, read-only
 * slices of the mapped file, each matrix row-major [out, in] exactly like {@code nn.Linear}.
 *
 * <p>Nothing is permuted: the rows of {@code q_proj} and {@code k_proj} are in llama2.c's RoPE layout, which rotates
 * adjacent pairs (2i, 2i+1) of each head, not Hugging Face's halves (i, i + headSize/2); the model builder accounts
 * for that. The stored RoPE tables ({@code freq_cis_real/imag}) are not weights and are not exposed.
 */
public final class Llama2cCheckpoint implements TensorSource {
    private static final int HEADER_BYTES = 7 * Integer.BYTES;

    /** The v0 header; a negative vocab_size in the file means an unshared classifier ({@code wcls}) at the end. */
    public record Header(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
                         boolean sharedClassifier) {
        public Header {
            requirePositive("dim", dim);
            requirePositive("hidden_dim", hiddenDim);
            requirePositive("n_layers", layers);
            requirePositive("n_heads", heads);
            requirePositive("n_kv_heads", kvHeads);
            requirePositive("vocab_size", vocabSize);
            requirePositive("seq_len", seqLen);
            if (dim % heads != 0) {
                throw new IllegalArgumentException("expected dim divisible by n_heads, found dim=" + dim
                        + " n_heads=" + heads);
            }
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("expected n_heads divisible by n_kv_heads, found n_heads=" + heads
                        + " n_kv_heads=" + kvHeads);
            }
            if ((dim / heads) % 2 != 0) {
                throw new IllegalArgumentException("expected an even head size (RoPE rotates pairs), found "
                        + dim / heads);
            }
        }

        public int headSize() {
            return dim / heads;
        }

        public int kvDim() {
            return headSize() * kvHeads;
        }

        private static void requirePositive(String field, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException("expected " + field + " > 0, found " + value);
            }
        }
    }

    private final Path file;
    private final Header header;
    private final Map<String, HostTensor> tensors;

    private Llama2cCheckpoint(Path file, Header header, Map<String, HostTensor> tensors) {
        this.file = file;
        this.header = header;
        this.tensors = tensors;
    }

    public static Llama2cCheckpoint open(Path binFile) {
        if (!Files.isRegularFile(binFile)) {
            throw new ModelLoadException("llama2.c checkpoint " + binFile + ": expected a file, found none");
        }
        try (FileChannel channel = FileChannel.open(binFile, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new ModelLoadException("llama2.c checkpoint " + binFile + ": expected at least "
                        + HEADER_BYTES + " header bytes, found " + size);
            }
            Header header = readHeader(binFile, channel.map(FileChannel.MapMode.READ_ONLY, 0, HEADER_BYTES));
            Layout layout = Layout.of(binFile, header);
            if (layout.end != size) {
                throw new ModelLoadException("llama2.c checkpoint " + binFile + ": expected " + layout.end
                        + " bytes for " + header + ", found " + size);
            }
            // One mapping per tensor: a single MappedByteBuffer is capped at 2 GiB, and 7B checkpoints are 26 GB.
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Region> e : layout.regions.entrySet()) {
                Region r = e.getValue();
                ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, r.offset, r.bytes());
                tensors.put(e.getKey(), new HostTensor(e.getKey(), r.shape, data.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return new Llama2cCheckpoint(binFile, header, tensors);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read llama2.c checkpoint " + binFile + ": " + e.getMessage(), e);
        }
    }

    public Header header() {
        return header;
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    @Override
    public HostTensor tensor(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new ModelLoadException("llama2.c checkpoint " + file + ": expected a tensor named " + name
                    + ", found none (it has " + tensors.size() + " tensors, e.g. model.embed_tokens.weight)");
        }
        // A fresh view per call, so one caller moving its position cannot disturb another.
        return new HostTensor(name, t.shape(), t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static Header readHeader(Path file, ByteBuffer raw) {
        ByteBuffer b = raw.order(ByteOrder.LITTLE_ENDIAN);
        int dim = b.getInt(), hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kvHeads = b.getInt();
        int vocab = b.getInt(), seqLen = b.getInt();
        if (vocab == Integer.MIN_VALUE) {
            throw new ModelLoadException("llama2.c checkpoint " + file + ": expected a vocab_size, found " + vocab);
        }
        try {
            return new Header(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen, vocab > 0);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException("llama2.c checkpoint " + file + " header: " + e.getMessage(), e);
        }
    }

    private record Region(long offset, long[] shape) {
        long bytes() {
            return HostTensor.elementCount(shape) * Float.BYTES;
        }
    }

    /** Where each tensor lies, in llama2.c's order: each weight kind is stored for all layers before the next. */
    private static final class Layout {
        private final Path file;
        private final Map<String, Region> regions = new LinkedHashMap<>();
        private long end = HEADER_BYTES;

        private Layout(Path file) {
            this.file = file;
        }

        static Layout of(Path file, Header h) {
            long dim = h.dim(), hidden = h.hiddenDim(), kvDim = h.kvDim(), vocab = h.vocabSize();
            Layout l = new Layout(file);
            try {
                l.add("model.embed_tokens.weight", vocab, dim);
                l.perLayer(h, "input_layernorm.weight", dim);
                l.perLayer(h, "self_attn.q_proj.weight", dim, dim);
                l.perLayer(h, "self_attn.k_proj.weight", kvDim, dim);
                l.perLayer(h, "self_attn.v_proj.weight", kvDim, dim);
                l.perLayer(h, "self_attn.o_proj.weight", dim, dim);
                l.perLayer(h, "post_attention_layernorm.weight", dim);
                l.perLayer(h, "mlp.gate_proj.weight", hidden, dim); // w1
                l.perLayer(h, "mlp.down_proj.weight", dim, hidden); // w2
                l.perLayer(h, "mlp.up_proj.weight", hidden, dim); // w3
                l.add("model.norm.weight", dim);
                // freq_cis_real and freq_cis_imag, each [seq_len, head_size / 2]: skipped, not weights.
                l.end = Math.addExact(l.end, Math.multiplyExact((long) h.seqLen() * h.headSize(), Float.BYTES));
                if (!h.sharedClassifier()) {
                    l.add("lm_head.weight", vocab, dim);
                }
            } catch (ArithmeticException e) {
                throw new ModelLoadException("llama2.c checkpoint " + file + ": expected a header implying under 2^63"
                        + " bytes, found " + h, e);
            }
            return l;
        }

        private void perLayer(Header h, String suffix, long... shape) {
            for (int i = 0; i < h.layers(); i++) {
                add("model.layers." + i + "." + suffix, shape);
            }
        }

        private void add(String name, long... shape) {
            Region region = new Region(end, shape);
            long bytes = Math.multiplyExact(HostTensor.elementCount(shape), Float.BYTES);
            if (bytes > Integer.MAX_VALUE) {
                throw new ModelLoadException("llama2.c checkpoint " + file + ": expected tensor " + name
                        + " under 2 GiB (one buffer), found " + bytes + " bytes");
            }
            regions.put(name, region);
            end = Math.addExact(end, bytes);
        }
    }
}
