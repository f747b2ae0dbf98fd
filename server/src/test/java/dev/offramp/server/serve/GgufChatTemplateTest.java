package dev.offramp.server.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offramp.server.serve.ChatTemplate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GGUF model's chat template is its {@code tokenizer.chat_template}, as llama.cpp reads it. */
class GgufChatTemplateTest {
    @Test
    void aGgufWithoutATemplateIsPlain() {
        assertThat(ChatTemplate.forModel(Path.of("../../shared/models/stories260K/stories260K.gguf")).name())
                .isEqualTo("plain");
    }

    @Test
    void aGgufTemplateIsDetectedAndRendered(@TempDir Path dir) throws IOException {
        String chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
                + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
                + "{% endif %}";
        Path file = Files.write(dir.resolve("chat.gguf"), ggufWithOneString("tokenizer.chat_template", chatml));

        ChatTemplate t = ChatTemplate.forModel(file);

        assertThat(t.name()).isEqualTo("chatml");
        assertThat(t.render(List.of(new ChatTemplate.Message("user", "Hi"))))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    /** GGUF v3 with no tensors and one string key/value, written field by field. */
    private static byte[] ggufWithOneString(String key, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le(4).putInt(3).array());
        out.writeBytes(le(8).putLong(0).array()); // tensors
        out.writeBytes(le(8).putLong(1).array()); // metadata entries
        string(out, key);
        out.writeBytes(le(4).putInt(8).array()); // value type: string
        string(out, value);
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le(8).putLong(b.length).array());
        out.writeBytes(b);
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
