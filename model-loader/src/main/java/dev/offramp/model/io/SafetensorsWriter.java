package dev.offramp.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes float32 tensors as a safetensors file that transformers, numpy and {@link SafetensorsFile} read. */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    public static void write(Path file, List<HostTensor> tensors) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (HostTensor t : tensors) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", "F32");
            long[] shape = t.shape();
            var s = e.putArray("shape");
            for (long d : shape) {
                s.add(d);
            }
            long bytes = t.data().remaining();
            e.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] head = json.writeValueAsBytes(header);
        // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int padded = (head.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(head);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        prefix.flip();
        try (OutputStream out = Files.newOutputStream(file); WritableByteChannel ch = Channels.newChannel(out)) {
            ch.write(prefix);
            for (HostTensor t : tensors) {
                ch.write(t.data().duplicate());
            }
        }
    }
}
