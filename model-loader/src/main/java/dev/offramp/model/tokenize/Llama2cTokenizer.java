package dev.offramp.model.tokenize;

import dev.offramp.model.ModelLoadException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c tokenizer ({@code tokenizer.bin}, {@code tok512.bin}), reproducing karpathy/llama2.c {@code run.c}'s
 * {@code encode}, {@code decode} and {@code safe_printf}. The file is an int32 max_token_length, then per token a
 * float32 merge score, an int32 length and that many bytes. Ids 3–258 are the raw bytes {@code <0x00>..<0xFF>}.
 */
public final class Llama2cTokenizer implements TextTokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final int BYTE_FALLBACK_OFFSET = 3;
    private static final int MIN_VOCAB = BYTE_FALLBACK_OFFSET + 256;

    // Pieces are kept as ISO-8859-1 strings (one char per byte), so lookups and concatenations are byte-exact.
    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids;
    private final byte[][] printed; // what decode() emits per id: the piece, or the raw byte of a <0xXX> piece
    private final Map<Long, Integer> merges;  // (id a, id b) → ids.get(piece a + piece b), for every pair that has one
    private final int dummyPrefix;

    private Llama2cTokenizer(String[] pieces, float[] scores, Map<String, Integer> ids, BitSet silent) {
        this.pieces = pieces;
        this.scores = scores;
        this.ids = ids;
        this.printed = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            boolean rawByte = p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")
                    && HexFormat.isHexDigit(p.charAt(3)) && HexFormat.isHexDigit(p.charAt(4));
            printed[id] = silent.get(id) ? new byte[0]
                    : rawByte ? new byte[] {(byte) HexFormat.fromHexDigits(p, 3, 5)}
                    : p.getBytes(StandardCharsets.ISO_8859_1);
        }
        this.dummyPrefix = ids.get(" ");
        this.merges = merges(pieces, ids);
    }

    /** Every split of every piece into two pieces: the pairs a merge can join, without a string per lookup. */
    private static Map<Long, Integer> merges(String[] pieces, Map<String, Integer> ids) {
        Map<Long, Integer> merges = new HashMap<>();
        for (String p : pieces) {
            Integer joined = ids.get(p);
            for (int k = 1; k < p.length(); k++) {
                Integer a = ids.get(p.substring(0, k));
                Integer b = ids.get(p.substring(k));
                if (a != null && b != null) {
                    merges.put(pair(a, b), joined);
                }
            }
        }
        return merges;
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The id of piece a + piece b, or -1 when the vocabulary has none. */
    private int merged(int a, int b) {
        Integer id = merges.get(pair(a, b));
        return id == null ? -1 : id;
    }

    /** Reads the tokenizer; {@code vocabSize} is the model's (its header), which the file must match exactly. */
    public static Llama2cTokenizer open(Path tokBin, int vocabSize) {
        if (!Files.isRegularFile(tokBin)) {
            throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": expected a file, found none");
        }
        if (vocabSize < MIN_VOCAB) {
            throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": expected vocab_size >= " + MIN_VOCAB
                    + " (3 special tokens and 256 byte tokens), found " + vocabSize);
        }
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(tokBin)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read llama2.c tokenizer " + tokBin + ": " + e.getMessage(), e);
        }
        String[] pieces = new String[vocabSize];
        float[] scores = new float[vocabSize];
        Map<String, Integer> ids = new HashMap<>();
        int id = 0;
        try {
            int maxTokenLength = b.getInt();
            if (maxTokenLength <= 0) {
                throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": expected max_token_length > 0, found "
                        + maxTokenLength);
            }
            for (; id < vocabSize; id++) {
                scores[id] = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > maxTokenLength) {
                    throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": token " + id
                            + ": expected a length in 0.." + maxTokenLength + " (max_token_length), found " + len);
                }
                byte[] bytes = new byte[len];
                b.get(bytes);
                pieces[id] = new String(bytes, StandardCharsets.ISO_8859_1);
                // run.c's bsearch would find either of two equal pieces; the lowest id is the deterministic choice.
                ids.putIfAbsent(pieces[id], id);
            }
        } catch (BufferUnderflowException e) {
            throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": expected " + vocabSize
                    + " tokens (the model's vocab_size), found the file ending in token " + id, e);
        }
        if (b.hasRemaining()) {
            throw new ModelLoadException("llama2.c tokenizer " + tokBin + ": expected " + vocabSize
                    + " tokens (the model's vocab_size), found " + b.remaining() + " more bytes after them");
        }
        if (!ids.containsKey(" ")) {
            throw new ModelLoadException("llama2.c tokenizer " + tokBin
                    + ": expected a token for \" \" (the dummy prefix), found none");
        }
        return new Llama2cTokenizer(pieces, scores, ids, new BitSet());
    }

    /**
     * The same vocabulary given in memory, as a GGUF file's SentencePiece ("llama") tokenizer holds it: ids 0–2
     * unknown, BOS and EOS, 3–258 the pieces {@code <0x00>..<0xFF>}, then merges scored by rank. Pieces are UTF-8
     * text with SentencePiece's U+2581 for a space, which is what llama2.c's export writes as a plain space. The
     * {@code control} ids (BOS, EOS) print nothing, as llama.cpp prints them.
     */
    public static Llama2cTokenizer of(String source, List<String> pieces, float[] scores, BitSet control) {
        if (pieces.size() != scores.length || pieces.size() < MIN_VOCAB) {
            throw new ModelLoadException(source + ": expected as many scores as tokens and at least " + MIN_VOCAB
                    + " (3 special tokens and 256 byte tokens), found " + pieces.size() + " tokens and "
                    + scores.length + " scores");
        }
        String[] latin1 = new String[pieces.size()];
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < latin1.length; id++) {
            latin1[id] = new String(pieces.get(id).replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.ISO_8859_1);
            ids.putIfAbsent(latin1[id], id);
        }
        for (int b = 0; b < 256; b++) {
            int id = BYTE_FALLBACK_OFFSET + b;
            String want = String.format("<0x%02X>", b);
            if (!latin1[id].equals(want)) {
                throw new ModelLoadException(source + ": expected token " + id + " to be " + want
                        + " (byte fallback at 3..258, as in Llama 2), found " + pieces.get(id));
            }
        }
        if (!ids.containsKey(" ")) {
            throw new ModelLoadException(source + ": expected a token for \"\u2581\" (the dummy prefix), found none");
        }
        return new Llama2cTokenizer(latin1, scores.clone(), ids, control);
    }

    /** A prompt as run.c encodes it: with BOS, without EOS. */
    @Override
    public int[] encode(String text) {
        return encode(text, true);
    }

    /** run.c's {@code encode}: optional BOS, the dummy prefix " " if text is non-empty, then greedy BPE merges. */
    public int[] encode(String text, boolean bos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 2];
        int n = 0;
        if (bos) {
            tokens[n++] = BOS;
        }
        if (utf8.length > 0) {
            tokens[n++] = dummyPrefix;
        }
        // One lookup per codepoint (a lead byte and at most 3 continuation bytes); unknown ones fall back to bytes.
        int start = 0;
        for (int i = 0; i < utf8.length; i++) {
            if ((utf8[i] & 0xC0) != 0x80) {
                start = i;
            }
            boolean continues = i + 1 < utf8.length && (utf8[i + 1] & 0xC0) == 0x80;
            if (continues && i - start + 1 < 4) {
                continue;
            }
            Integer id = ids.get(new String(utf8, start, i - start + 1, StandardCharsets.ISO_8859_1));
            if (id != null) {
                tokens[n++] = id;
            } else {
                for (int k = start; k <= i; k++) {
                    tokens[n++] = (utf8[k] & 0xFF) + BYTE_FALLBACK_OFFSET;
                }
            }
            start = i + 1;
        }
        // Merge the best-scoring adjacent pair until none is in the vocabulary; strictly greater keeps the first tie.
        // joins[i] is the merge of tokens i and i + 1 (-1: none), kept up to date around each merge.
        int[] joins = new int[Math.max(0, n - 1)];
        for (int i = 0; i < n - 1; i++) {
            joins[i] = merged(tokens[i], tokens[i + 1]);
        }
        while (true) {
            float bestScore = -1e10f;
            int bestIndex = -1;
            for (int i = 0; i < n - 1; i++) {
                int id = joins[i];
                if (id >= 0 && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestIndex = i;
                }
            }
            if (bestIndex == -1) {
                return Arrays.copyOf(tokens, n);
            }
            tokens[bestIndex] = joins[bestIndex];
            System.arraycopy(tokens, bestIndex + 2, tokens, bestIndex + 1, n - bestIndex - 2);
            System.arraycopy(joins, bestIndex + 1, joins, bestIndex, n - bestIndex - 2);
            n--;
            if (bestIndex > 0) {
                joins[bestIndex - 1] = merged(tokens[bestIndex - 1], tokens[bestIndex]);
            }
            if (bestIndex < n - 1) {
                joins[bestIndex] = merged(tokens[bestIndex], tokens[bestIndex + 1]);
            }
        }
    }

    /**
     * Exactly what run.c prints for {@code id} after {@code previousId} ({@code decode} then {@code safe_printf}): the
     * leading space is dropped after BOS, and a lone byte that is neither printable ASCII nor whitespace prints as
     * nothing, which includes every byte of a multi-byte character that fell back to byte tokens. Use
     * {@link #decode(int[])} for such text.
     */
    public String piece(int previousId, int id) {
        byte[] bytes = bytes(previousId, id);
        if (bytes.length == 1 && !printableOrSpace(bytes[0])) {
            return "";
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The text run.c prints for {@code ids}, each piece decoded after its predecessor (the first after none), except
     * that byte tokens of 0x80 and above are kept and the bytes decoded as UTF-8 once at the end, so characters that
     * fell back to bytes come out whole. BOS is skipped, as run.c never prints it (it starts from it and stops at it).
     */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int previous = -1;
        for (int id : ids) {
            byte[] bytes = bytes(previous, id);
            boolean control = bytes.length == 1 && bytes[0] >= 0 && !printableOrSpace(bytes[0]);
            if (id != BOS && !control) {
                out.writeBytes(bytes);
            }
            previous = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private byte[] bytes(int previousId, int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id: expected 0.." + (pieces.length - 1) + ", found " + id);
        }
        byte[] bytes = printed[id];
        // After BOS the SentencePiece decoder strips the leading space (llama2.c PR #89).
        if (previousId == BOS && bytes.length > 0 && bytes[0] == ' ') {
            return Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return bytes;
    }

    /** C's {@code isprint || isspace} in the "C" locale, as run.c's safe_printf uses them. */
    private static boolean printableOrSpace(byte b) {
        return (b >= 0x20 && b <= 0x7E) || (b >= 0x09 && b <= 0x0D);
    }
}
