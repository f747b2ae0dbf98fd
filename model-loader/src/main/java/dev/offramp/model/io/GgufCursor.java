package dev.offramp.model.io;

import dev.offramp.model.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the header in order, checking that each field is there before reading it. */
final class GgufCursor {
    private final Path file;
    private final ByteBuffer b;

    GgufCursor(Path file, ByteBuffer b) {
        this.file = file;
        this.b = b;
    }

    long position() {
        return b.position();
    }

    int int32(String what) {
        need(4, what);
        return b.getInt();
    }

    /** A uint64 count, size or offset; one above 2^63 cannot describe a real file. */
    long count(String what) {
        need(8, what);
        long v = b.getLong();
        if (v < 0) {
            throw fail("expected " + what + " below 2^63, found " + Long.toUnsignedString(v));
        }
        return v;
    }

    String string(String what) {
        long length = count("the length of " + what);
        need(length, what);
        byte[] bytes = new byte[(int) length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A metadata value of GGUF value type {@code type}; integers of every width become longs. */
    Object value(int type, String key) {
        String what = "the value of " + key;
        return switch (type) {
            case 0 -> (long) Byte.toUnsignedInt(bytes(1, what).get());
            case 1 -> (long) bytes(1, what).get();
            case 2 -> (long) Short.toUnsignedInt(bytes(2, what).getShort());
            case 3 -> (long) bytes(2, what).getShort();
            case 4 -> Integer.toUnsignedLong(bytes(4, what).getInt());
            case 5 -> (long) bytes(4, what).getInt();
            case 6 -> bytes(4, what).getFloat();
            case 7 -> bytes(1, what).get() != 0;
            case 8 -> string(what);
            case 9 -> array(key);
            case 10, 11 -> bytes(8, what).getLong();
            case 12 -> bytes(8, what).getDouble();
            default -> throw fail("metadata " + key + ": expected a value type 0 to 12, found " + type);
        };
    }

    private List<Object> array(String key) {
        int type = int32("the element type of " + key);
        long n = count("the length of " + key);
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.add(value(type, key));
        }
        return out;
    }

    private ByteBuffer bytes(long n, String what) {
        need(n, what);
        return b;
    }

    private void need(long n, String what) {
        if (b.remaining() < n) {
            throw fail("expected " + n + " bytes for " + what + " at byte " + b.position()
                    + ", found the file ending at byte " + b.limit() + ": truncated?");
        }
    }

    ModelLoadException fail(String message) {
        return new ModelLoadException("GGUF file " + file + ": " + message);
    }
}
